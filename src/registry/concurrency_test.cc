// Several connections and processes on one registry: one writer at a time, the others
// wait up to their busy timeout, and nothing is lost or interleaved.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "registry/registry.h"
#include "registry/test_fixture.h"
#include "registry/traffic.h"

namespace graft::registry {
namespace {

using std::chrono::milliseconds;
using testing::RegistryTest;
using testing::seconds;

// A batch of `count` assignments whose request ids start with `prefix`.
std::vector<Assignment> batch_of(const std::string& prefix, int count) {
  std::vector<Assignment> batch;
  for (int i = 0; i < count; ++i) {
    batch.push_back({.request_id = prefix + std::to_string(i),
                     .variant = "baseline",
                     .user_hash = static_cast<std::uint64_t>(i),
                     .at = seconds(10)});
  }
  return batch;
}

class ConcurrencyTest : public RegistryTest {
 protected:
  // A raw second connection that holds the write lock until released.
  void hold_write_lock() {
    auto connection = sqlite::Connection::open(path_, milliseconds(100));
    ASSERT_TRUE(connection.has_value());
    holder_.emplace(std::move(*connection));
    auto transaction = sqlite::Transaction::begin(*holder_);
    ASSERT_TRUE(transaction.has_value()) << transaction.error().message();
    held_.emplace(std::move(*transaction));
  }

  std::optional<sqlite::Connection> holder_;
  std::optional<sqlite::Transaction> held_;
};

// Found by the demo: `graft exp status` polling while `graft exp start` made the registry
// got "is busy" at once (setting WAL mode and the first migration do not always wait in
// SQLite's busy handler). Four processes open fresh registries at the same moment, 20 times.
TEST_F(ConcurrencyTest, ProcessesOpeningAFreshRegistryAtOnceAllSucceed) {
  for (int round = 0; round < 20; ++round) {
    const std::filesystem::path fresh =
        dir_->path() / ("fresh-" + std::to_string(round)) / kFileName;
    std::vector<pid_t> children;
    for (int child = 0; child < 4; ++child) {
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        auto opened = Registry::open(fresh, {.busy_timeout = milliseconds(5000)});
        if (!opened) std::fprintf(stderr, "%s\n", opened.error().message().c_str());
        ::_exit(opened ? 0 : 1);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
  }
}

TEST_F(ConcurrencyTest, ASecondWriterWaitsItsTimeoutThenFailsClearly) {
  const ExperimentId id = create("ctr-v3");
  auto waiting = Registry::open(path_, {.busy_timeout = milliseconds(300)});
  ASSERT_TRUE(waiting.has_value());
  hold_write_lock();
  const auto start = std::chrono::steady_clock::now();
  auto decided = waiting->record_decision(id, {.at = seconds(2000), .action = Action::kPause});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(decided.has_value());
  EXPECT_EQ(decided.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(decided.error().message(),
            "the registry '" + path_.string() + "' is busy: another graft process is writing");
  EXPECT_EQ(decided.error().hint(),
            "wait for the other graft command to finish, then run this one again");
  EXPECT_GE(waited, milliseconds(300));
  // Readers are not blocked by the writer (WAL).
  EXPECT_TRUE(waiting->find("ctr-v3").has_value());
  held_.reset();
  EXPECT_TRUE(waiting->latest_decisions(id, 10).value().empty());
}

TEST_F(ConcurrencyTest, ASecondWriterProceedsOnceTheFirstCommits) {
  const ExperimentId id = create("ctr-v3");
  auto waiting = Registry::open(path_, {.busy_timeout = milliseconds(10'000)});
  ASSERT_TRUE(waiting.has_value());
  hold_write_lock();
  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(100));
    ASSERT_TRUE(held_->commit().has_value());
  });
  auto decided = waiting->record_decision(id, {.at = seconds(2000), .action = Action::kPause});
  releaser.join();
  EXPECT_TRUE(decided.has_value()) << decided.error().message();
  EXPECT_EQ(registry_->latest_decisions(id, 10).value().size(), 1u);
}

// Runs in the child: writes `batches` batches and one decision per batch; returns the exit
// code (0 when every write succeeded).
int write_from_child(const std::filesystem::path& path, ExperimentId id, int batches) {
  auto registry = Registry::open(path, {.busy_timeout = milliseconds(30'000)});
  if (!registry) return 2;
  TrafficLog log(*registry);
  for (int b = 0; b < batches; ++b) {
    if (!log.append_assignments(id, batch_of("child-" + std::to_string(b) + "-", 500))) return 3;
    const Decision decision{.at = seconds(3000 + b), .action = Action::kHold, .reason = "child"};
    if (!registry->record_decision(id, decision)) return 4;
  }
  return 0;
}

TEST_F(ConcurrencyTest, WritersInTwoProcessesAreSerialized) {
  const ExperimentId id = create("ctr-v3");
  registry_.reset();  // no SQLite connection may cross fork()
  constexpr int kBatches = 20;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(write_from_child(path_, id, kBatches));

  auto registry = Registry::open(path_, {.busy_timeout = milliseconds(30'000)});
  ASSERT_TRUE(registry.has_value()) << registry.error().message();
  TrafficLog log(*registry);
  for (int b = 0; b < kBatches; ++b) {
    auto written = log.append_assignments(id, batch_of("parent-" + std::to_string(b) + "-", 500));
    ASSERT_TRUE(written.has_value()) << written.error().message();
    const Decision decision{.at = seconds(3000 + b), .action = Action::kHold, .reason = "parent"};
    ASSERT_TRUE(registry->record_decision(id, decision));
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);

  auto counts = log.traffic(id, {seconds(0), seconds(100)});
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ((*counts)[0].requests, 2 * kBatches * 500);
  auto decisions = registry->latest_decisions(id, 1000);
  ASSERT_TRUE(decisions.has_value());
  EXPECT_EQ(decisions->size(), 2u * kBatches);
}

}  // namespace
}  // namespace graft::registry
