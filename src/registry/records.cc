#include "registry/records.h"

#include <array>
#include <utility>

#include <fmt/core.h>

namespace graft::registry {
namespace {

template <typename Enum, std::size_t kSize>
using NameTable = std::array<std::pair<Enum, std::string_view>, kSize>;

constexpr NameTable<ExperimentState, 7> kStateNames{{
    {ExperimentState::kStarting, "starting"},
    {ExperimentState::kRunning, "running"},
    {ExperimentState::kPaused, "paused"},
    {ExperimentState::kRolledBack, "rolled_back"},
    {ExperimentState::kPromoted, "promoted"},
    {ExperimentState::kStopped, "stopped"},
    {ExperimentState::kFailed, "failed"},
}};

constexpr NameTable<Action, 8> kActionNames{{
    {Action::kHold, "hold"},
    {Action::kAdvance, "advance"},
    {Action::kRollback, "rollback"},
    {Action::kPromote, "promote"},
    {Action::kPause, "pause"},
    {Action::kResume, "resume"},
    {Action::kSetWeight, "set_weight"},
    {Action::kStop, "stop"},
}};

constexpr NameTable<JoinStatus, 3> kJoinStatusNames{{
    {JoinStatus::kJoined, "joined"},
    {JoinStatus::kUnknown, "unknown"},
    {JoinStatus::kLate, "late"},
}};

template <typename Enum, std::size_t kSize>
std::string_view name_in(const NameTable<Enum, kSize>& table, Enum value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) return name;
  }
  return "?";
}

template <typename Enum, std::size_t kSize>
Result<Enum> parse_in(const NameTable<Enum, kSize>& table, std::string_view what,
                      std::string_view text) {
  std::string allowed;
  for (const auto& [value, name] : table) {
    if (name == text) return value;
    allowed += fmt::format("{}'{}'", allowed.empty() ? "" : ", ", name);
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("'{}' is not {}: use one of {}", text, what, allowed));
}

}  // namespace

std::string_view state_name(ExperimentState state) {
  return name_in(kStateNames, state);
}

Result<ExperimentState> parse_state(std::string_view text) {
  return parse_in(kStateNames, "an experiment state", text);
}

bool is_final(ExperimentState state) {
  return state == ExperimentState::kRolledBack || state == ExperimentState::kPromoted ||
         state == ExperimentState::kStopped || state == ExperimentState::kFailed;
}

std::string_view action_name(Action action) {
  return name_in(kActionNames, action);
}

Result<Action> parse_action(std::string_view text) {
  return parse_in(kActionNames, "a decision action", text);
}

std::string_view join_status_name(JoinStatus status) {
  return name_in(kJoinStatusNames, status);
}

}  // namespace graft::registry
