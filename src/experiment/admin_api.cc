#include "experiment/admin_api.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;
using proxy::AdminResponse;

AdminResponse json_response(int status, const Json& body) {
  return {status, "application/json", body.dump() + "\n"};
}

AdminResponse error_response(const Error& error) {
  int status = 400;
  if (error.code() == ErrorCode::kConflict) status = 409;
  if (error.code() == ErrorCode::kNotFound) status = 404;
  if (error.code() == ErrorCode::kUnavailable || error.code() == ErrorCode::kIo) status = 503;
  Json body{{"error", error.message()}};
  if (!error.hint().empty()) body["hint"] = error.hint();
  return json_response(status, body);
}

// The string member `key` of a JSON object body; "" when absent or not a string.
std::string text_member(const Json& body, const char* key) {
  return body.is_object() && body.contains(key) && body[key].is_string()
             ? body[key].get<std::string>()
             : std::string();
}

// PUT /weights {"treatment": 20}.
Result<ManualCommand> parse_weight(std::string_view body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (!parsed.is_object() || parsed.size() != 1 || !parsed.begin().value().is_number_unsigned()) {
    return fail(ErrorCode::kInvalidArgument,
                "expected one variant and its weight in percent, e.g. {\"treatment\": 20}");
  }
  return ManualCommand{.action = Action::kSetWeight,
                       .variant = parsed.begin().key(),
                       .weight = static_cast<std::uint32_t>(std::min<std::uint64_t>(
                           parsed.begin().value().get<std::uint64_t>(), 1'000'000))};
}

Result<SwapRequest> parse_swap(std::string_view body) {
  Json parsed = Json::parse(body, nullptr, false);
  SwapRequest request{.variant = text_member(parsed, "variant"),
                      .environment = {.prefix = text_member(parsed, "prefix"),
                                      .display_name = text_member(parsed, "display_name"),
                                      .environment = text_member(parsed, "environment"),
                                      .lock = text_member(parsed, "lock")},
                      .env_name = text_member(parsed, "env_name"),
                      .command = text_member(parsed, "command")};
  if (request.variant.empty() || request.environment.prefix.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "a swap needs {\"variant\": NAME, \"prefix\": PATH, ...}");
  }
  return request;
}

// A route whose body becomes a manual command.
proxy::AdminRoute manual_route(ExperimentControl& control, std::string method, std::string path,
                               std::function<Result<ManualCommand>(std::string_view)> parse) {
  return {std::move(method), std::move(path),
          [&control, parse = std::move(parse)](std::string_view body, std::string_view) {
            auto command = parse(body);
            if (!command) return error_response(command.error());
            auto decision = control.decide(*command);
            if (!decision) return error_response(decision.error());
            return json_response(200, decision_json(*decision));
          }};
}

std::function<Result<ManualCommand>(std::string_view)> plain(Action action) {
  return [action](std::string_view) -> Result<ManualCommand> {
    return ManualCommand{.action = action};
  };
}

// A GET route answering with `make`'s JSON.
proxy::AdminRoute json_route(std::string path, std::function<Result<Json>()> make) {
  return {"GET", std::move(path), [make = std::move(make)](std::string_view, std::string_view) {
            auto body = make();
            if (!body) return error_response(body.error());
            return json_response(200, *body);
          }};
}

}  // namespace

std::vector<proxy::AdminRoute> experiment_admin_routes(ExperimentControl& control) {
  std::vector<proxy::AdminRoute> routes;
  routes.push_back(manual_route(control, "POST", "/experiment/pause", plain(Action::kPause)));
  routes.push_back(manual_route(control, "POST", "/experiment/resume", plain(Action::kResume)));
  routes.push_back(manual_route(control, "POST", "/experiment/promote", plain(Action::kPromote)));
  routes.push_back(manual_route(control, "POST", "/experiment/stop", plain(Action::kStop)));
  auto rollback = [](std::string_view body) -> Result<ManualCommand> {
    return ManualCommand{.action = Action::kRollback,
                         .reason = text_member(Json::parse(body, nullptr, false), "reason")};
  };
  routes.push_back(manual_route(control, "POST", "/rollback", rollback));
  routes.push_back(manual_route(control, "POST", "/experiment/rollback", rollback));
  routes.push_back(manual_route(control, "PUT", "/weights", parse_weight));
  routes.push_back(json_route("/experiment", [&control] { return control.status(); }));
  routes.push_back(json_route("/experiment/report", [&control] { return control.report(); }));
  routes.push_back(
      {"POST", "/experiment/swap", [&control](std::string_view body, std::string_view) {
         auto request = parse_swap(body);
         if (!request) return error_response(request.error());
         const std::string variant = request->variant;
         if (auto started = control.start_swap(std::move(*request)); !started) {
           return error_response(started.error());
         }
         return json_response(202, Json{{"swap", "starting"}, {"variant", variant}});
       }});
  routes.push_back({"POST", "/feedback", [&control](std::string_view body, std::string_view) {
                      auto accepted = control.feedback(body);
                      if (!accepted) return error_response(accepted.error());
                      return json_response(200, Json{{"accepted", *accepted}});
                    }});
  return routes;
}

nlohmann::ordered_json decision_json(const Decision& decision) {
  Json weights = Json::object();
  for (const auto& [name, weight] : decision.weights) weights[name] = weight;
  return Json{{"action", action_name(decision.action)},
              {"reason", decision.reason},
              {"step", decision.step},
              {"weights", weights},
              {"manual", decision.manual}};
}

}  // namespace graft::experiment
