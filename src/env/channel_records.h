// Loads the package records of the channels a command searches: each channel's platform
// subdir and noarch repodata, fetched through the package cache's repodata cache and
// parsed into records, grouped per channel in priority order (what the solver takes).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "env/settings.h"
#include "solve/lazy_load.h"
#include "solve/solver.h"
#include "store/package_cache.h"

namespace graft::env {

// Errors: kInvalidArgument (a channel value that does not parse), kNotFound (a channel
// without noarch repodata; offline without a cached copy), kUnavailable, kCorrupt.
[[nodiscard]] Result<std::vector<solve::ChannelRecords>> load_channel_records(
    const Settings& settings, const store::PackageCache& cache,
    const std::vector<std::string>& channel_values);

// As load_channel_records, but into `request` (whose specs, installed and virtual packages
// are set) and only the records the request can reach (solve/lazy_load.h), each file's map
// cached beside it as <key>.graftmap. Errors: those of load_channel_records.
[[nodiscard]] Status load_reachable_records(const Settings& settings,
                                            const store::PackageCache& cache,
                                            const std::vector<std::string>& channel_values,
                                            solve::Request& request,
                                            solve::Reach reach = solve::Reach::kDependencies);

}  // namespace graft::env
