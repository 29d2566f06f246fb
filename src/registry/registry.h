// The registry: graft's record of every experiment, in SQLite at `<root>/graft.db`.
// Registry holds the experiments themselves (spec, state, step, weights, controller,
// variants with their exact environments, steps, decisions); TrafficLog (traffic.h) holds
// the requests they saw and the outcomes posted back.
//
// The database runs in WAL mode (readers never wait for the writer), with foreign keys on
// and one writer at a time: every write is one transaction begun with BEGIN IMMEDIATE, so
// a second graft process waits up to `busy_timeout` and then gets kUnavailable ("the
// registry '...' is busy: another graft process is writing"). Commits survive a crash of
// the process (synchronous=NORMAL: a power cut may lose the last ones, never corrupt).
//
// Errors, besides the ones named per function: kUnavailable (busy), kCorrupt (a damaged
// or foreign file, named in the message), kIo (the disk).
//
// Thread-safety: a Registry is used by one thread at a time. Other threads and processes
// open their own; they all see each other's committed writes.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "registry/records.h"
#include "registry/sqlite.h"

namespace graft::registry {

// The registry's file name under a graft root.
inline constexpr std::string_view kFileName = "graft.db";

struct RegistryOptions {
  // The longest wait for another process's write transaction before kUnavailable.
  std::chrono::milliseconds busy_timeout{5000};
};

class Registry {
 public:
  // Opens the registry at `path` (usually `<root>/graft.db`), creating it and its parent
  // directory when missing, and brings its schema up to date. kConflict for a registry
  // written by a newer graft; kCorrupt for a file that is not a registry.
  [[nodiscard]] static Result<Registry> open(const std::filesystem::path& path,
                                             const RegistryOptions& options = {});

  // The schema version of the open database (migrations().back().version).
  [[nodiscard]] int schema_version() const { return schema_version_; }
  [[nodiscard]] const std::filesystem::path& path() const { return connection_.path(); }

  // Records a new experiment in state "starting", step -1, with its variants (their
  // sha256 fields computed here). kAlreadyExists when the name is taken; kInvalidArgument
  // without variants.
  [[nodiscard]] Result<Experiment> create_experiment(const NewExperiment& experiment);

  // One experiment by name. kNotFound (with a did-you-mean) when there is none.
  [[nodiscard]] Result<Experiment> find(std::string_view name);
  // One experiment with its variants, steps and decisions. kNotFound as find().
  [[nodiscard]] Result<ExperimentRecord> load(std::string_view name);
  // Every experiment, oldest first.
  [[nodiscard]] Result<std::vector<Experiment>> list();
  // The last `limit` decisions of an experiment, oldest first.
  [[nodiscard]] Result<std::vector<Decision>> latest_decisions(ExperimentId id, std::size_t limit);

  // Applies `change` at time `at` (the experiment's updated time). kNotFound for an
  // unknown id.
  [[nodiscard]] Status update(ExperimentId id, const ExperimentChange& change, Time at);
  // Records `decision` and applies `change` at decision.at, in one transaction: both
  // happen or neither. kInvalidArgument when decision.metrics is not a JSON object.
  [[nodiscard]] Status record_decision(ExperimentId id, const Decision& decision,
                                       const ExperimentChange& change = {});
  // Sets (or, with nullopt, clears) the process that runs the experiment.
  [[nodiscard]] Status set_controller(ExperimentId id, const std::optional<Controller>& controller,
                                      Time at);
  // Replaces the variant of the same name (a hot swap to another environment). kNotFound
  // when the experiment has no such variant.
  [[nodiscard]] Status replace_variant(ExperimentId id, const Variant& variant, Time at);

 private:
  friend class TrafficLog;
  Registry(sqlite::Connection connection, int schema_version)
      : connection_(std::move(connection)), schema_version_(schema_version) {}

  [[nodiscard]] Result<std::vector<std::string>> names();
  [[nodiscard]] Status apply(ExperimentId id, const ExperimentChange& change, Time at);

  sqlite::Connection connection_;
  int schema_version_ = 0;
};

}  // namespace graft::registry
