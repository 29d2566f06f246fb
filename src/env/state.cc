// conda-meta/state reading and writing; see state.h.
#include "env/state.h"

#include <algorithm>
#include <system_error>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"

namespace graft::env {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;  // keeps the file's key order, as Python's dict does

Error invalid_state(const fs::path& file, std::string_view why) {
  return Error(ErrorCode::kCorrupt,
               "'" + file.string() + "' is not a valid state file: " + std::string(why))
      .with_hint("fix the file, or remove it to drop the environment's variables");
}

// The whole state document; an empty object when the file is absent.
Result<Json> read_state(const fs::path& prefix) {
  const fs::path file = state_file(prefix);
  auto text = base::read_file(file);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound) return Json::object();
    return fail(text.error());
  }
  Json state = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded()) return fail(invalid_state(file, "invalid JSON"));
  if (!state.is_object()) return fail(invalid_state(file, "expected a JSON object"));
  auto found = state.find("env_vars");
  if (found != state.end() && !found->is_object() && !found->is_null()) {
    return fail(invalid_state(file, "'env_vars' must be an object"));
  }
  return state;
}

Status write_state(const fs::path& prefix, const Json& state) {
  std::error_code error;
  if (!fs::is_directory(prefix / "conda-meta", error)) {
    return fail(ErrorCode::kNotFound,
                "'" + prefix.string() + "' is not an environment: it has no conda-meta directory");
  }
  // conda 25.7+ writes json.dumps(state, indent=2, ensure_ascii=False): 2-space indent, no
  // final newline.
  return base::write_file_atomic(state_file(prefix), state.dump(2, ' ', /*ensure_ascii=*/false,
                                                                Json::error_handler_t::replace));
}

}  // namespace

fs::path state_file(const fs::path& prefix) {
  return prefix / "conda-meta" / "state";
}

Result<EnvVars> read_env_vars(const fs::path& prefix) {
  GRAFT_ASSIGN_OR_RETURN(Json state, read_state(prefix));
  EnvVars variables;
  auto found = state.find("env_vars");
  if (found == state.end() || found->is_null()) return variables;
  for (const auto& [key, value] : found->items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text == kUnsetMarker) continue;
    variables.emplace_back(key, std::move(text));
  }
  return variables;
}

Status check_variable_name(std::string_view name) {
  std::string cause;
  if (name.empty()) cause = "the name is empty";
  if (name.find('=') != std::string_view::npos) cause = "it has a '='";
  if (name.find('\0') != std::string_view::npos) cause = "it has a NUL byte";
  if (!name.empty() && base::trim(name) != name) cause = "it starts or ends with whitespace";
  if (cause.empty()) return ok();
  return fail(ErrorCode::kInvalidArgument,
              "variable name '" + std::string(name) + "' is not valid: " + cause);
}

Result<EnvVars> parse_assignments(const std::vector<std::string>& words) {
  EnvVars variables;
  for (const std::string& word : words) {
    const std::size_t equals = word.find('=');
    if (equals == std::string::npos) {
      return fail(
          Error(ErrorCode::kInvalidArgument,
                "'" + word + "' is not a valid variable assignment: expected KEY=VALUE")
              .with_hint("to remove a variable, use 'graft env config vars unset " + word + "'"));
    }
    std::string key(base::trim(std::string_view(word).substr(0, equals)));
    if (auto status = check_variable_name(key); !status) {
      const std::string& message = status.error().message();
      return fail(ErrorCode::kInvalidArgument, "'" + word +
                                                   "' is not a valid variable assignment: " +
                                                   message.substr(message.find(": ") + 2));
    }
    variables.emplace_back(std::move(key),
                           std::string(base::trim(std::string_view(word).substr(equals + 1))));
  }
  return variables;
}

Status set_env_vars(const fs::path& prefix, const EnvVars& variables) {
  GRAFT_ASSIGN_OR_RETURN(Json state, read_state(prefix));
  Json& current = state["env_vars"];
  if (current.is_null()) current = Json::object();
  for (const auto& [key, value] : variables) current[key] = value;
  return write_state(prefix, state);
}

Result<std::vector<std::string>> unset_env_vars(const fs::path& prefix,
                                                const std::vector<std::string>& names) {
  GRAFT_ASSIGN_OR_RETURN(Json state, read_state(prefix));
  std::vector<std::string> not_set;
  bool changed = false;
  auto found = state.find("env_vars");
  for (const std::string& name : names) {
    const bool is_set = found != state.end() && found->is_object() && found->contains(name) &&
                        (*found)[name] != Json(std::string(kUnsetMarker));
    if (!is_set) {
      if (std::find(not_set.begin(), not_set.end(), name) == not_set.end()) {
        not_set.push_back(name);
      }
      continue;
    }
    (*found)[name] = std::string(kUnsetMarker);
    changed = true;
  }
  if (changed) GRAFT_RETURN_IF_ERROR(write_state(prefix, state));
  return not_set;
}

}  // namespace graft::env
