// scale_bench: a request on a conda-forge-size channel, phase by phase, against Python's
// json.load of the same file measured in the same run.
//
//   scale_bench generate DIR [--platform N] [--noarch N] [--seed S]
//       writes a generated channel (conda/generated_channel.h; default 600,000 linux-64 and
//       150,000 noarch records) to DIR/linux-64/repodata.json and DIR/noarch/repodata.json,
//       and the name of a package with a deep dependency tree to DIR/deep.txt;
//   scale_bench run DIR [--quick] [SPEC...]
//       solves `create SPEC...` (default: the deep package) against DIR in several ways,
//       each in a child process of its own so that its peak resident memory is its own:
//       - full:  read both files, parse every record (parse_repodata), pool, solve;
//       - cold:  solve/lazy_load.h without index caches (they are removed first): map both
//                files (index), build the records the request reaches (read), pool, solve;
//                it writes the index caches (DIR/<subdir>/repodata.json.graftmap);
//       - warm:  the same with the index caches the cold run wrote;
//       and python3's json.load of DIR/linux-64/repodata.json, run before them; then the
//       graft binary itself (`create --dry-run`): from file://DIR with an empty package
//       cache (cold, JSON and index caches written) and again (warm), and from DIR served
//       over loopback HTTP (python3's http.server) as CEP 16 shards with an empty cache,
//       with the share of shards it fetched. `generate` writes the shards too.
//
// Phases: read (full: the bytes into memory; cold and warm: building the reached records
// from the mapped files), index (full: every record; cold: one pass over each file for its
// map; warm: reading the cached maps), pool
// (solve's model: candidates, dependency keys, ranks), solve (libsolv and the transaction;
// solve() minus the pool it builds again). Times are wall times of one run each (the first
// of a fresh process, with the files in the page cache: run it twice), RSS is the child's
// peak resident set (ru_maxrss). Not run by ctest.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/subprocess.h"
#include "conda/generated_channel.h"
#include "conda/repodata.h"
#include "conda/shards.h"
#include "solve/lazy_load.h"
#include "solve/model.h"
#include "solve/solver.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using graft::conda::MatchSpec;
using graft::solve::Request;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Phases {
  double read = 0;
  double index = 0;
  double pool = 0;
  double solve = 0;
  double records = 0;        // records that became candidates
  double linked = 0;         // packages in the answer (-1: unsatisfiable)
  double unranked_pool = 0;  // the pool with nothing reachable: no tie scores (order.h step 4)
};

// Runs `work` in a child; its phases come back through a pipe, its peak RSS (MB) from wait4.
bool in_child(const std::function<Phases()>& work, Phases& phases, double& rss_mb) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return false;
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    Phases result = work();
    const bool written = write(pipe_fds[1], &result, sizeof result) == sizeof result;
    _exit(written ? 0 : 1);
  }
  close(pipe_fds[1]);
  const bool read_all = read(pipe_fds[0], &phases, sizeof phases) == sizeof phases;
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(child, &status, 0, &usage);
  rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  return read_all && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Request base_request(const std::vector<std::string>& specs) {
  Request request;
  request.options.subdir = "linux-64";
  request.channels.push_back({.name = "generated"});
  for (const std::string& text : specs) {
    auto spec = MatchSpec::parse(text);
    if (!spec) {
      std::fprintf(stderr, "%s\n", spec.error().message().c_str());
      std::exit(2);
    }
    request.install.push_back(std::move(*spec));
  }
  return request;
}

// The pool and solve phases of `request`, whose records are loaded.
void pool_and_solve(Request& request, Phases& phases) {
  auto start = Clock::now();
  {
    graft::solve::detail::Model model(request);
    phases.pool = ms_since(start);
    phases.records = static_cast<double>(model.size());
  }
  std::vector<MatchSpec> install = std::move(request.install);  // the same candidates, no
  request.install.clear();                                      // name reachable but pip
  start = Clock::now();
  { graft::solve::detail::Model model(request); }
  phases.unranked_pool = ms_since(start);
  request.install = std::move(install);
  start = Clock::now();
  auto transaction = graft::solve::solve(request);
  phases.solve = std::max(0.0, ms_since(start) - phases.pool);
  phases.linked = transaction ? static_cast<double>(transaction->link.size()) : -1;
  if (!transaction) std::fprintf(stderr, "%s\n", transaction.error().message().c_str());
}

Phases full_load(const fs::path& dir, const std::vector<std::string>& specs) {
  Phases phases;
  Request request = base_request(specs);
  auto start = Clock::now();
  std::vector<std::string> bytes;
  for (const char* subdir : {"linux-64", "noarch"}) {
    auto text = graft::base::read_file(dir / subdir / "repodata.json");
    if (!text) std::exit(3);
    bytes.push_back(std::move(*text));
  }
  phases.read = ms_since(start);
  start = Clock::now();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::string url = "file://" + (dir / (i == 0 ? "linux-64" : "noarch")).string();
    auto repodata = graft::conda::parse_repodata(bytes[i], {.subdir_url = url});
    if (!repodata) std::exit(4);
    auto& records = request.channels[0].records;
    records.insert(records.end(), std::make_move_iterator(repodata->records.begin()),
                   std::make_move_iterator(repodata->records.end()));
  }
  phases.index = ms_since(start);
  bytes.clear();
  pool_and_solve(request, phases);
  return phases;
}

Phases lazy_load(const fs::path& dir, const std::vector<std::string>& specs) {
  Phases phases;
  Request request = base_request(specs);
  std::vector<graft::solve::RepodataInput> inputs;
  for (const char* subdir : {"linux-64", "noarch"}) {
    const fs::path path = dir / subdir / "repodata.json";
    const std::string url = "file://" + (dir / subdir).string();
    inputs.push_back(
        {.path = path, .source = {.subdir_url = url}, .index_path = path.string() + ".graftmap"});
  }
  graft::solve::LoadStats stats;
  if (auto loaded = graft::solve::load_reachable(inputs, request, &stats); !loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().message().c_str());
    std::exit(5);
  }
  phases.index = stats.map_ms;
  phases.read = stats.read_ms;
  pool_and_solve(request, phases);
  return phases;
}

void print(const char* label, const Phases& phases, double rss_mb, double python_ms) {
  const double total = phases.read + phases.index + phases.pool + phases.solve;
  std::printf(
      "%-8s read %7.1f  index %7.1f  pool %7.1f  solve %7.1f  = %7.1f ms  %5.1fx json.load  "
      "RSS %6.1f MB  (%.0f candidates, %.0f to link)\n",
      label, phases.read, phases.index, phases.pool, phases.solve, total, python_ms / total, rss_mb,
      phases.records, phases.linked);
  std::printf("         the pool without the request (no tie scores): %.1f ms\n",
              phases.unranked_pool);
}

// Wall time (ms) and peak RSS (MB) of python3's json.load of `path`.
bool python_json_load(const fs::path& path, double& ms, double& rss_mb) {
  rusage before{};
  getrusage(RUSAGE_CHILDREN, &before);
  const auto start = Clock::now();
  auto result = graft::base::run_process(
      {.argv = {"python3", "-c", "import json,sys; json.load(open(sys.argv[1]))", path.string()}});
  ms = ms_since(start);
  rusage after{};
  getrusage(RUSAGE_CHILDREN, &after);
  rss_mb = static_cast<double>(after.ru_maxrss) / 1024.0;
  return result && result->exit_code == 0;
}

// CEP 16 shards of `json` beside it, as `graft index --shards` writes them.
bool write_shards(const fs::path& subdir, const std::string& json) {
  auto sharded = graft::conda::make_shards(json);
  if (!sharded || !graft::base::make_directories(subdir / "shards")) return false;
  for (const auto& [hash, bytes] : sharded->shards) {
    if (!graft::base::write_file_atomic(subdir / "shards" / (hash + ".msgpack.zst"), bytes,
                                        graft::base::Durability::kNoFsync)) {
      return false;
    }
  }
  return graft::base::write_file_atomic(subdir / "repodata_shards.msgpack.zst", sharded->index)
      .has_value();
}

int generate(const fs::path& dir, int argc, char** argv) {
  graft::conda::ChannelShape shape;
  for (int i = 0; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const auto value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--platform")
      shape.platform_records = value;
    else if (flag == "--noarch")
      shape.noarch_records = value;
    else if (flag == "--seed")
      shape.seed = value;
    else
      return std::fprintf(stderr, "unknown flag '%s'\n", flag.c_str()), 2;
  }
  const auto start = Clock::now();
  const graft::conda::GeneratedChannel channel = graft::conda::generate_channel(shape);
  for (const auto& [subdir, text] :
       {std::pair{"linux-64", &channel.platform_json}, std::pair{"noarch", &channel.noarch_json}}) {
    if (!graft::base::make_directories(dir / subdir) ||
        !graft::base::write_file_atomic(dir / subdir / "repodata.json", *text) ||
        !write_shards(dir / subdir, *text)) {
      return std::fprintf(stderr, "cannot write %s\n", (dir / subdir).c_str()), 1;
    }
  }
  if (!graft::base::write_file_atomic(dir / "deep.txt", channel.deep_name + "\n")) return 1;
  std::printf(
      "%s: %zu names, linux-64 %.1f MB, noarch %.1f MB in %.0f ms; deep package '%s' "
      "(%zu names in its closure)\n",
      dir.c_str(), channel.names.size(), static_cast<double>(channel.platform_json.size()) / 1e6,
      static_cast<double>(channel.noarch_json.size()) / 1e6, ms_since(start),
      channel.deep_name.c_str(), channel.deep_closure);
  return 0;
}

// tools/serve_channel.py: a loopback HTTP server for a channel directory, logging requests.
const std::string kServe = std::string(GRAFT_SOURCE_DIR) + "/tools/serve_channel.py";

// Starts `argv` with `environment`, stdout to /dev/null and stderr to `err`; its pid or -1.
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> environment,
            const fs::path& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (std::string& word : argv) args.push_back(word.data());
  args.push_back(nullptr);
  std::vector<char*> env;
  for (std::string& entry : environment) env.push_back(entry.data());
  env.push_back(nullptr);
  pid_t child = -1;
  const int spawned = posix_spawnp(&child, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  return spawned == 0 ? child : -1;
}

struct GraftRun {
  double ms = 0;
  double rss_mb = 0;
  bool ok = false;
};

// `graft create --dry-run` of `specs` from `channel`, with its own root prefix and HOME
// under `scratch` (so the package cache starts as `scratch` left it).
GraftRun graft_create(const fs::path& scratch, const std::string& channel,
                      const std::vector<std::string>& specs) {
  const fs::path graft =
      fs::canonical("/proc/self/exe").parent_path().parent_path() / "src" / "graft";
  std::vector<std::string> argv = {
      graft.string(), "create",    "--root-prefix", (scratch / "root").string(), "-n",
      "bench",        "--dry-run", "--json",        "--override-channels",       "-c",
      channel,        "-y"};
  argv.insert(argv.end(), specs.begin(), specs.end());
  std::error_code ignored;
  fs::create_directories(scratch / "home", ignored);
  std::vector<std::string> environment = {"HOME=" + (scratch / "home").string(),
                                          "PATH=" + std::string(std::getenv("PATH"))};
  GraftRun run;
  const auto start = Clock::now();
  const pid_t child = spawn(argv, environment, scratch / "graft.err");
  int status = 0;
  rusage usage{};
  if (child > 0) wait4(child, &status, 0, &usage);
  run.ms = ms_since(start);
  run.rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  run.ok = child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!run.ok) {
    std::fprintf(stderr, "graft failed: %s\n",
                 graft::base::read_file(scratch / "graft.err").value_or("").c_str());
  }
  return run;
}

// The graft binary end to end: file:// cold (empty package cache) and warm, then the same
// channel served over loopback HTTP as CEP 16 shards with an empty cache.
int graft_runs(const fs::path& dir, const std::vector<std::string>& specs, double python_ms) {
  auto scratch = graft::base::TempDir::create("graft-scale-bench-");
  if (!scratch) return 1;
  const auto print_run = [&](const char* label, const GraftRun& run, const std::string& extra) {
    std::printf("%-22s %7.1f ms  %5.1fx json.load  RSS %6.1f MB%s\n", label, run.ms,
                python_ms > 0 ? python_ms / run.ms : 0.0, run.rss_mb, extra.c_str());
  };
  const std::string file_channel = "file://" + fs::canonical(dir).string();
  print_run("graft file:// cold", graft_create(scratch->path() / "file", file_channel, specs), "");
  print_run("graft file:// warm", graft_create(scratch->path() / "file", file_channel, specs), "");
  const fs::path log = scratch->path() / "requests.log";
  const fs::path port_file = scratch->path() / "port";
  std::vector<std::string> words = {"python3", kServe, fs::canonical(dir).string(), log.string(),
                                    port_file.string()};
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t server = -1;
  if (posix_spawnp(&server, "python3", nullptr, nullptr, argv.data(), environ) != 0) return 1;
  for (int i = 0; i < 200 && !fs::exists(port_file); ++i) usleep(50'000);
  const std::string url = "http://127.0.0.1:" + graft::base::read_file(port_file).value_or("0");
  const GraftRun sharded = graft_create(scratch->path() / "http", url, specs);
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  std::size_t fetched = 0;
  const std::string requests = graft::base::read_file(log).value_or("");
  for (std::size_t at = requests.find("/shards/"); at != std::string::npos;
       at = requests.find("/shards/", at + 1)) {
    ++fetched;
  }
  std::size_t shards = 0;
  for (const char* subdir : {"linux-64", "noarch"}) {
    std::error_code error;
    for (auto it = fs::directory_iterator(dir / subdir / "shards", error);
         !error && it != fs::directory_iterator(); ++it)
      ++shards;
  }
  print_run("graft http shards cold", sharded,
            "  (" + std::to_string(fetched) + " of " + std::to_string(shards) + " shards = " +
                std::to_string(100.0 * static_cast<double>(fetched) /
                               static_cast<double>(std::max<std::size_t>(shards, 1)))
                    .substr(0, 4) +
                "%)");
  return 0;
}

int run(const fs::path& dir, std::vector<std::string> specs) {
  const bool quick = !specs.empty() && specs[0] == "--quick";
  if (quick) specs.erase(specs.begin());
  if (specs.empty()) {
    auto deep = graft::base::read_file(dir / "deep.txt");
    if (!deep) return std::fprintf(stderr, "%s\n", deep.error().message().c_str()), 1;
    specs.push_back(deep->substr(0, deep->find('\n')));
  }
  double python_ms = 0;
  double python_rss = 0;
  Phases phases;
  double rss = 0;
  if (!quick) {
    if (!python_json_load(dir / "linux-64" / "repodata.json", python_ms, python_rss)) return 1;
    std::printf("python3 json.load of linux-64/repodata.json: %.1f ms, RSS %.1f MB\n", python_ms,
                python_rss);
    if (!in_child([&] { return full_load(dir, specs); }, phases, rss)) return 1;
    print("full", phases, rss, python_ms);
  }
  for (const char* subdir : {"linux-64", "noarch"}) {
    std::error_code ignored;
    fs::remove(dir / subdir / "repodata.json.graftmap", ignored);
  }
  if (!in_child([&] { return lazy_load(dir, specs); }, phases, rss)) return 1;
  print("cold", phases, rss, python_ms);
  if (!in_child([&] { return lazy_load(dir, specs); }, phases, rss)) return 1;
  print("warm", phases, rss, python_ms);
  return graft_runs(dir, specs, python_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: scale_bench generate DIR [--platform N] [--noarch N] [--seed S]\n"
      "       scale_bench run DIR [--quick] [SPEC...]   (--quick: no python, no full load)\n";
  if (argc < 3) return std::fputs(usage.c_str(), stderr), 2;
  const std::string verb = argv[1];
  if (verb == "generate") return generate(argv[2], argc - 3, argv + 3);
  if (verb == "run") return run(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  return std::fputs(usage.c_str(), stderr), 2;
}
