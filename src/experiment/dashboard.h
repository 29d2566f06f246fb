// The live dashboard of a running experiment, served by its admin listener during
// `graft exp start`:
//   GET / and its assets     the page (dashboard/index.html), /dashboard.js, /dashboard.css,
//                            /uplot.js, /uplot.css and /uplot-license.txt. Public
//                            (proxy::AdminAccess::kPublic): the same bytes for everyone,
//                            compiled into the binary (dashboard_files.h), no data in them;
//                            sent with a Content-Security-Policy that allows nothing but this
//                            origin and no framing.
//   GET /experiment/live     {"about": {...}, "series": LiveSeries::to_json()}: what does not
//                            change during the run (name, variants and environments, steps,
//                            window, sticky key, salt) and the charts' data. Needs the token
//                            when one is configured, like every data route.
// The page also reads GET /experiment and GET /status every second, GET /experiment/report
// (the outcome's figures; a join over the registry) every 5 s, and its controls call the
// experiment's admin routes (admin_api.h) with the bearer token it asks for (kept in the tab's
// sessionStorage, sent only in the Authorization header).
//
// Thread-safety: routes' handlers run on the admin thread, the sampler on a thread of its
// own; both lock the series.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "experiment/live_series.h"
#include "experiment/spec.h"
#include "proxy/admin_route.h"

namespace graft::proxy {
class Server;
}

namespace graft::experiment {

// The page and its assets as public admin routes, from dashboard_files().
[[nodiscard]] std::vector<proxy::AdminRoute> dashboard_asset_routes();

class Dashboard {
 public:
  struct Options {
    std::chrono::milliseconds interval{1000};  // between samples, at least 1 s
    std::size_t capacity = 600;                // points kept (10 minutes at 1 s)
  };

  // `clock` must outlive this object.
  Dashboard(const ExperimentSpec& spec, const base::Clock& clock, Options options);
  Dashboard(const ExperimentSpec& spec, const base::Clock& clock)
      : Dashboard(spec, clock, Options{}) {}
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // dashboard_asset_routes() and GET /experiment/live (its handler refers to this object).
  [[nodiscard]] std::vector<proxy::AdminRoute> routes();

  // Reads `server`'s sticky key and salt, then samples its per-variant figures every
  // interval on a thread of its own until stop(). `server` must stay alive until stop().
  void watch(proxy::Server& server);
  // Ends the sampling (idempotent; the destructor calls it).
  void stop();

 private:
  void sample(proxy::Server& server);

  const base::Clock& clock_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  nlohmann::ordered_json about_;
  LiveSeries series_;
  std::thread sampler_;
};

}  // namespace graft::experiment
