// The traffic side of the registry: which variant served each request (assignments,
// written by the proxy in batches off the request path) and the outcomes posted back for
// requests by id (feedback), and the windowed queries the controller and `graft exp`
// read them with.
//
// Feedback is stored as posted and joined to assignments when read, so a value posted
// before its request's batch was written still joins once the batch lands.
//
// Errors, besides the ones named per function: those of registry.h (busy, damaged, disk).
//
// Thread-safety: as the Registry it borrows; that Registry must outlive the TrafficLog and
// stay where it is (not be moved) meanwhile.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "registry/records.h"
#include "registry/registry.h"

namespace graft::registry {

class TrafficLog {
 public:
  explicit TrafficLog(Registry& registry) : connection_(&registry.connection_) {}

  // Writes `batch` in one transaction. A request id already recorded for the experiment
  // (or repeated in the batch) keeps its first row and is counted as a duplicate.
  // kNotFound for an unknown experiment.
  [[nodiscard]] Result<AppendOutcome> append_assignments(ExperimentId id,
                                                         std::span<const Assignment> batch);
  // Requests that arrived in `window`, per variant: every variant of the experiment in
  // spec order (zeros when it saw none), then any other variant name seen, by name.
  [[nodiscard]] Result<std::vector<VariantTraffic>> traffic(ExperimentId id, TimeRange window);
  // The assignments of `window`, by arrival time (then request id).
  [[nodiscard]] Result<std::vector<Assignment>> assignments(ExperimentId id, TimeRange window);

  // Stores posted values in one transaction; returns how many. kNotFound for an unknown
  // experiment.
  [[nodiscard]] Result<std::int64_t> append_feedback(ExperimentId id,
                                                     std::span<const Feedback> batch);
  // The values for the requests of `window.requests`, joined per variant and user (a
  // request without a user hash counts as a user of its own), plus the unknown and late
  // counts (records.h, FeedbackJoin). A value posted at most `window.attribution` after its
  // request joins; one posted before its request counts as in time.
  [[nodiscard]] Result<FeedbackJoin> join_feedback(ExperimentId id, const FeedbackWindow& window);
  // Every value posted for the experiment, in posting order, with what the join finds now.
  [[nodiscard]] Result<std::vector<JoinedFeedback>> feedback(ExperimentId id, Duration attribution);

 private:
  [[nodiscard]] Status check_exists(ExperimentId id);

  sqlite::Connection* connection_;
};

}  // namespace graft::registry
