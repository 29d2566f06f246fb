#include "registry/traffic.h"

#include <algorithm>
#include <bit>

#include <fmt/core.h>

namespace graft::registry {
namespace {

// SQLite integers are signed: a 64-bit hash is stored with its bits unchanged.
std::optional<std::int64_t> stored_hash(const std::optional<std::uint64_t>& hash) {
  if (!hash) return std::nullopt;
  return std::bit_cast<std::int64_t>(*hash);
}

std::optional<std::uint64_t> read_hash(const sqlite::Statement& row, int column) {
  if (row.column_is_null(column)) return std::nullopt;
  return std::bit_cast<std::uint64_t>(row.column_int(column));
}

// Binds the experiment id and `window` as parameters 1, 2 and 3.
sqlite::Statement& bind_window(sqlite::Statement& query, ExperimentId id, TimeRange window) {
  return query.bind_all(id, to_micros(window.from), to_micros(window.to));
}

Result<std::vector<std::string>> variant_names(sqlite::Connection& connection, ExperimentId id) {
  GRAFT_ASSIGN_OR_RETURN(auto query, connection.prepare("SELECT name FROM variants WHERE "
                                                        "experiment_id = ? ORDER BY position"));
  query.bind_all(id);
  std::vector<std::string> names;
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return names;
    names.push_back(query.column_text(0));
  }
}

// The values posted for the window's requests. Parameters: 1 the experiment, 2 and 3 the
// requests' window, 4 the attribution (bind_feedback_window).
constexpr std::string_view kWindowValues =
    "FROM assignments a JOIN feedback f "
    "ON f.experiment_id = a.experiment_id AND f.request_id = a.request_id "
    "WHERE a.experiment_id = ?1 AND a.at_us >= ?2 AND a.at_us < ?3";

sqlite::Statement& bind_feedback_window(sqlite::Statement& query, ExperimentId id,
                                        const FeedbackWindow& window) {
  return bind_window(query, id, window.requests).bind(4, std::int64_t{window.attribution.count()});
}

// The one number `sql` selects, with bind_feedback_window's parameters.
Result<std::int64_t> count(sqlite::Connection& connection, std::string_view sql, ExperimentId id,
                           const FeedbackWindow& window) {
  GRAFT_ASSIGN_OR_RETURN(auto query, connection.prepare(sql));
  GRAFT_ASSIGN_OR_RETURN(const bool row, bind_feedback_window(query, id, window).step());
  return row ? query.column_int(0) : 0;
}

JoinStatus classify(const sqlite::Statement& row, int request_time_column, Time posted,
                    Duration attribution) {
  if (row.column_is_null(request_time_column)) return JoinStatus::kUnknown;
  const Time requested = from_micros(row.column_int(request_time_column));
  return posted - requested <= attribution ? JoinStatus::kJoined : JoinStatus::kLate;
}

}  // namespace

Status TrafficLog::check_exists(ExperimentId id) {
  GRAFT_ASSIGN_OR_RETURN(auto query,
                         connection_->prepare("SELECT 1 FROM experiments WHERE id = ?"));
  GRAFT_ASSIGN_OR_RETURN(const bool found, query.bind_all(id).step());
  if (found) return ok();
  return fail(ErrorCode::kNotFound, fmt::format("no experiment with id {} in the registry", id));
}

Result<AppendOutcome> TrafficLog::append_assignments(ExperimentId id,
                                                     std::span<const Assignment> batch) {
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(*connection_));
  GRAFT_RETURN_IF_ERROR(check_exists(id));
  GRAFT_ASSIGN_OR_RETURN(auto insert,
                         connection_->prepare("INSERT OR IGNORE INTO assignments (experiment_id, "
                                              "request_id, variant, user_hash, at_us, status, "
                                              "latency_us) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  AppendOutcome outcome;
  for (const Assignment& assignment : batch) {
    insert.reset();
    insert.bind_all(id, assignment.request_id, assignment.variant,
                    stored_hash(assignment.user_hash), to_micros(assignment.at),
                    std::int64_t{assignment.status}, std::int64_t{assignment.latency.count()});
    GRAFT_RETURN_IF_ERROR(insert.run());
    ++(connection_->changes() == 1 ? outcome.written : outcome.duplicates);
  }
  GRAFT_RETURN_IF_ERROR(transaction.commit());
  return outcome;
}

Result<std::vector<VariantTraffic>> TrafficLog::traffic(ExperimentId id, TimeRange window) {
  GRAFT_ASSIGN_OR_RETURN(auto snapshot,
                         sqlite::Transaction::begin(*connection_, sqlite::TransactionKind::kRead));
  GRAFT_ASSIGN_OR_RETURN(const auto names, variant_names(*connection_, id));
  std::vector<VariantTraffic> rows;
  for (const std::string& name : names) rows.push_back({.variant = name});
  GRAFT_ASSIGN_OR_RETURN(
      auto query, connection_->prepare("SELECT variant, count(*), count(DISTINCT user_hash), "
                                       "total(status >= 500) FROM assignments "
                                       "WHERE experiment_id = ? AND at_us >= ? AND at_us < ? "
                                       "GROUP BY variant ORDER BY variant"));
  bind_window(query, id, window);
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return rows;
    const std::string variant = query.column_text(0);
    auto known = std::find(names.begin(), names.end(), variant);
    auto& counts = known != names.end() ? rows[known - names.begin()]
                                        : rows.emplace_back(VariantTraffic{.variant = variant});
    counts.requests = query.column_int(1);
    counts.users = query.column_int(2);
    counts.errors = static_cast<std::int64_t>(query.column_double(3));
  }
}

Result<std::vector<Assignment>> TrafficLog::assignments(ExperimentId id, TimeRange window) {
  GRAFT_ASSIGN_OR_RETURN(
      auto query, connection_->prepare("SELECT request_id, variant, user_hash, at_us, status, "
                                       "latency_us FROM assignments WHERE experiment_id = ? "
                                       "AND at_us >= ? AND at_us < ? ORDER BY at_us, request_id"));
  bind_window(query, id, window);
  std::vector<Assignment> rows;
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return rows;
    rows.push_back({.request_id = query.column_text(0),
                    .variant = query.column_text(1),
                    .user_hash = read_hash(query, 2),
                    .at = from_micros(query.column_int(3)),
                    .status = static_cast<std::int32_t>(query.column_int(4)),
                    .latency = Duration(query.column_int(5))});
  }
}

Result<std::int64_t> TrafficLog::append_feedback(ExperimentId id, std::span<const Feedback> batch) {
  GRAFT_ASSIGN_OR_RETURN(auto transaction, sqlite::Transaction::begin(*connection_));
  GRAFT_RETURN_IF_ERROR(check_exists(id));
  GRAFT_ASSIGN_OR_RETURN(auto insert,
                         connection_->prepare("INSERT INTO feedback (experiment_id, request_id, "
                                              "value, at_us) VALUES (?, ?, ?, ?)"));
  for (const Feedback& feedback : batch) {
    insert.reset();
    GRAFT_RETURN_IF_ERROR(
        insert.bind_all(id, feedback.request_id, feedback.value, to_micros(feedback.at)).run());
  }
  GRAFT_RETURN_IF_ERROR(transaction.commit());
  return static_cast<std::int64_t>(batch.size());
}

Result<FeedbackJoin> TrafficLog::join_feedback(ExperimentId id, const FeedbackWindow& window) {
  GRAFT_ASSIGN_OR_RETURN(auto snapshot,
                         sqlite::Transaction::begin(*connection_, sqlite::TransactionKind::kRead));
  GRAFT_ASSIGN_OR_RETURN(
      auto joined,
      connection_->prepare(fmt::format("SELECT a.variant, a.user_hash, total(f.value), count(*) {} "
                                       "AND f.at_us - a.at_us <= ?4 "
                                       "GROUP BY a.variant, coalesce(a.user_hash, a.request_id) "
                                       "ORDER BY a.variant, a.user_hash, min(a.request_id)",
                                       kWindowValues)));
  bind_feedback_window(joined, id, window);
  FeedbackJoin join;
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, joined.step());
    if (!row) break;
    const UserOutcome user{.user_hash = read_hash(joined, 1),
                           .sum = joined.column_double(2),
                           .count = joined.column_int(3)};
    join.joined += user.count;
    join.variants[joined.column_text(0)].push_back(user);
  }
  GRAFT_ASSIGN_OR_RETURN(
      join.late, count(*connection_,
                       fmt::format("SELECT count(*) {} AND f.at_us - a.at_us > ?4", kWindowValues),
                       id, window));
  GRAFT_ASSIGN_OR_RETURN(
      join.unknown,
      count(*connection_,
            "SELECT count(*) FROM feedback f WHERE f.experiment_id = ?1 AND f.at_us >= ?2 "
            "AND f.at_us < ?3 + ?4 AND NOT EXISTS (SELECT 1 FROM assignments a WHERE "
            "a.experiment_id = f.experiment_id AND a.request_id = f.request_id)",
            id, window));
  return join;
}

Result<std::vector<JoinedFeedback>> TrafficLog::feedback(ExperimentId id, Duration attribution) {
  GRAFT_ASSIGN_OR_RETURN(
      auto query,
      connection_->prepare("SELECT f.request_id, f.value, f.at_us, a.variant, a.user_hash, a.at_us "
                           "FROM feedback f LEFT JOIN assignments a "
                           "ON a.experiment_id = f.experiment_id AND a.request_id = f.request_id "
                           "WHERE f.experiment_id = ? ORDER BY f.id"));
  query.bind_all(id);
  std::vector<JoinedFeedback> rows;
  while (true) {
    GRAFT_ASSIGN_OR_RETURN(const bool row, query.step());
    if (!row) return rows;
    JoinedFeedback joined{.feedback = {.request_id = query.column_text(0),
                                       .value = query.column_double(1),
                                       .at = from_micros(query.column_int(2))}};
    joined.status = classify(query, 5, joined.feedback.at, attribution);
    if (joined.status != JoinStatus::kUnknown) {
      joined.variant = query.column_text(3);
      joined.user_hash = read_hash(query, 4);
    }
    rows.push_back(std::move(joined));
  }
}

}  // namespace graft::registry
