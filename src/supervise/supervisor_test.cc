#include "supervise/supervisor.h"

#include <signal.h>

#include <atomic>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "supervise/probe.h"

namespace graft::supervise {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A replica: answers GET /health with 200 on the port it is given; with a second argument,
// exits with code 1 that many seconds after it started serving.
constexpr const char* kServer = R"(import http.server, sys, threading, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == '/health' else 404)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler)
print('serving on', sys.argv[1], flush=True)
if len(sys.argv) > 2:
    threading.Timer(float(sys.argv[2]), lambda: os._exit(1)).start()
server.serve_forever()
)";

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        base::write_file_atomic(dir_.path() / "server.py", kServer, base::Durability::kNoFsync));
  }
  ReplicaSpec spec(const std::string& variant, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"python3", (dir_.path() / "server.py").string(), "{port}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return {.variant = variant,
            .argv = argv,
            .environment = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}},
            .log_path = dir_.path() / (variant + ".log"),
            .health_path = "/health"};
  }
  ReplicaSpec shell(const std::string& variant, const std::string& script) {
    return {.variant = variant,
            .argv = {"sh", "-c", script},
            .environment = {{"PATH", "/usr/bin:/bin"}},
            .log_path = dir_.path() / (variant + ".log"),
            .health_path = "/health"};
  }
  base::TempDir dir_ = base::TempDir::create("graft-supervise-test-").value();
};

TEST_F(SupervisorTest, StartsEachReplicaOnItsOwnPortAndWaitsUntilReady) {
  Supervisor supervisor;
  auto group = supervisor.start_group({spec("baseline"), spec("baseline")});
  ASSERT_TRUE(group) << group.error().message();
  std::vector<std::string> addresses = supervisor.addresses(*group);
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_NE(addresses[0], addresses[1]);
  for (const ReplicaStatus& replica : supervisor.status()) {
    EXPECT_EQ(replica.state, ReplicaState::kReady);
    EXPECT_GT(replica.pid, 0);
    EXPECT_TRUE(probe(replica.port, "/health", 1s));
  }
  EXPECT_THAT(base::read_file(dir_.path() / "baseline.log").value_or(""), HasSubstr("serving on"));
}

TEST_F(SupervisorTest, AReplicaThatExitsBeforeItIsReadyFailsTheGroupWithItsLog) {
  Supervisor supervisor;
  auto group = supervisor.start_group({shell("treatment", "echo model file missing >&2; exit 3")});
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code(), ErrorCode::kUnavailable);
  EXPECT_THAT(group.error().message(),
              HasSubstr("replica 'treatment-1' exited with code 3 before it was ready"));
  EXPECT_THAT(group.error().message(), HasSubstr("\n  model file missing"));
}

TEST_F(SupervisorTest, AReplicaThatNeverAnswersIsNotReadyInTime) {
  Supervisor supervisor({.ready_timeout = 400ms, .poll_interval = 20ms});
  auto group = supervisor.start_group({shell("treatment", "exec sleep 30")});
  ASSERT_FALSE(group);
  EXPECT_THAT(group.error().message(), HasSubstr("replica 'treatment-1' was not ready within"));
  for (const ReplicaStatus& replica : supervisor.status()) {
    EXPECT_EQ(replica.state, ReplicaState::kStopped);
  }
}

TEST_F(SupervisorTest, AnExitedReplicaIsStartedAgainUntilItFails) {
  std::mutex mutex;
  std::vector<EventKind> kinds;
  Supervisor supervisor({.poll_interval = 20ms,
                         .restart = {.initial_delay = 50ms, .max_exits = 3},
                         .on_event = [&](const Event& event) {
                           std::lock_guard lock(mutex);
                           kinds.push_back(event.kind);
                         }});
  auto group = supervisor.start_group({spec("treatment", {"0.3"})});
  ASSERT_TRUE(group) << group.error().message();
  const std::uint16_t port = supervisor.status().front().port;
  for (int i = 0; i < 300 && !supervisor.failed("treatment"); ++i)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(supervisor.failed("treatment"));
  EXPECT_FALSE(supervisor.failed("baseline"));
  std::lock_guard lock(mutex);
  EXPECT_EQ(kinds,
            (std::vector<EventKind>{EventKind::kReady, EventKind::kExited, EventKind::kRestarted,
                                    EventKind::kReady, EventKind::kExited, EventKind::kRestarted,
                                    EventKind::kReady, EventKind::kFailed}));
  EXPECT_EQ(supervisor.status().front().port, port);  // a restart keeps the port
  EXPECT_EQ(supervisor.status().front().restarts, 2);
}

TEST_F(SupervisorTest, StopGroupStopsOnlyThatGroupAndTheirChildren) {
  Supervisor supervisor({.stop_grace = 2s});
  auto old_group = supervisor.start_group({spec("baseline")});
  auto new_group = supervisor.start_group({spec("baseline")});
  ASSERT_TRUE(old_group && new_group);
  pid_t old_pid = -1;
  for (const ReplicaStatus& replica : supervisor.status()) {
    if (replica.group == *old_group) old_pid = replica.pid;
  }
  supervisor.stop_group(*old_group);
  for (const ReplicaStatus& replica : supervisor.status()) {
    EXPECT_EQ(replica.state,
              replica.group == *old_group ? ReplicaState::kStopped : ReplicaState::kReady);
  }
  EXPECT_NE(::kill(old_pid, 0), 0);  // reaped: gone
  EXPECT_TRUE(probe(supervisor.status().back().port, "/health", 1s));
}

}  // namespace
}  // namespace graft::supervise
