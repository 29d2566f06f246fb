#include "experiment/dashboard.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "experiment/dashboard_files.h"
#include "proxy/server.h"
#include "route/holder.h"
#include "route/table.h"
#include "route/values.h"

namespace graft::experiment {
namespace {

using Json = nlohmann::ordered_json;
using proxy::AdminResponse;

// Only this origin, no inline script, no framing (the controls cannot be clickjacked).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

constexpr std::string_view kWithoutUplot =
    "// uPlot was not installed when graft was built (scripts/setup runs npm ci): the "
    "dashboard draws SVG charts itself.\n";

std::string content_type(std::string_view name) {
  const std::string_view extension = name.substr(name.rfind('.') + 1);
  if (extension == "html") return "text/html; charset=utf-8";
  if (extension == "js") return "text/javascript; charset=utf-8";
  if (extension == "css") return "text/css; charset=utf-8";
  if (extension == "svg") return "image/svg+xml";
  if (extension == "png") return "image/png";
  return "text/plain; charset=utf-8";
}

AdminResponse asset_response(const EmbeddedFile& file) {
  return {200,
          content_type(file.name),
          std::string(file.bytes),
          {{"Content-Security-Policy", std::string(kContentSecurityPolicy)},
           {"X-Content-Type-Options", "nosniff"},
           {"X-Frame-Options", "DENY"},
           {"Referrer-Policy", "no-referrer"},
           {"Cache-Control", "no-cache"}}};
}

Json about_json(const ExperimentSpec& spec) {
  Json variants = Json::array();
  for (const VariantSpec& variant : spec.variants) {
    variants.push_back(
        {{"name", variant.name}, {"env", variant.env}, {"replicas", variant.replicas}});
  }
  Json guardrails = Json::object();
  if (spec.analysis.error_rate_max_delta) {
    guardrails["error_rate_max_delta"] = *spec.analysis.error_rate_max_delta;
  }
  if (spec.analysis.latency_p99_max_ratio) {
    guardrails["latency_p99_max_ratio"] = *spec.analysis.latency_p99_max_ratio;
  }
  return Json{{"name", spec.name},
              {"variants", std::move(variants)},
              {"steps", spec.rollout.steps},
              {"interval_ms", spec.rollout.interval.count()},
              {"min_requests", spec.rollout.min_requests},
              {"alpha", spec.analysis.alpha},
              {"guardrails", std::move(guardrails)},
              {"outcome", spec.analysis.outcome ? Json(spec.analysis.outcome->name) : Json()},
              {"sticky", spec.route.sticky.to_string()},
              {"salt", spec.route.salt}};
}

std::vector<std::string> variant_names(const ExperimentSpec& spec) {
  std::vector<std::string> names;
  for (const VariantSpec& variant : spec.variants) names.push_back(variant.name);
  return names;
}

}  // namespace

std::vector<proxy::AdminRoute> dashboard_asset_routes() {
  std::vector<EmbeddedFile> files(dashboard_files().begin(), dashboard_files().end());
  const bool bundled = std::any_of(
      files.begin(), files.end(), [](const EmbeddedFile& file) { return file.name == "uplot.js"; });
  if (!bundled) {
    // The page loads these either way; without uPlot it draws SVG charts itself.
    files.push_back({"uplot.js", kWithoutUplot});
    files.push_back({"uplot.css", ""});
  }
  std::vector<proxy::AdminRoute> routes;
  for (const EmbeddedFile& file : files) {
    routes.push_back(
        {.method = "GET",
         .path = file.name == "index.html" ? "/" : "/" + std::string(file.name),
         .handler = [file](std::string_view, std::string_view) { return asset_response(file); },
         .access = proxy::AdminAccess::kPublic});
  }
  return routes;
}

Dashboard::Dashboard(const ExperimentSpec& spec, const base::Clock& clock, Options options)
    : clock_(clock),
      options_(options),
      about_(about_json(spec)),
      series_(variant_names(spec), options.capacity) {}

Dashboard::~Dashboard() {
  stop();
}

std::vector<proxy::AdminRoute> Dashboard::routes() {
  std::vector<proxy::AdminRoute> routes = dashboard_asset_routes();
  routes.push_back({.method = "GET",
                    .path = "/experiment/live",
                    .handler = [this](std::string_view, std::string_view) {
                      std::lock_guard lock(mutex_);
                      return AdminResponse{
                          200,
                          "application/json",
                          Json{{"about", about_}, {"series", series_.to_json()}}.dump() + "\n",
                          {{"Cache-Control", "no-store"}}};
                    }});
  return routes;
}

void Dashboard::watch(proxy::Server& server) {
  {
    std::lock_guard lock(mutex_);
    // The proxy's own: a resumed experiment keeps the salt it was recorded with.
    auto table = server.routes().load();
    about_["sticky"] = table->sticky().to_string();
    about_["salt"] = table->salt();
  }
  sample(server);
  sampler_ = std::thread([this, &server] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
      lock.unlock();
      sample(server);
      lock.lock();
    }
  });
}

void Dashboard::sample(proxy::Server& server) {
  const std::vector<proxy::VariantSnapshot> snapshots = server.variant_snapshots();
  std::lock_guard lock(mutex_);
  series_.add(clock_.steady(), clock_.wall(), snapshots);
}

void Dashboard::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (sampler_.joinable()) sampler_.join();
}

}  // namespace graft::experiment
