// `graft exp archive NAME -o DIR` and `graft exp reproduce DIR`: keep a run (spec, each
// variant's exact environment.yml and @EXPLICIT lock, code commit, dataset, decisions,
// report, SHA256SUMS) and rebuild its environments elsewhere from the locks.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/hash.h"
#include "cli/exp_common.h"
#include "cli/json_output.h"
#include "cli/settings.h"
#include "cli/verb.h"
#include "experiment/recording.h"
#include "experiment/runner.h"

namespace graft::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct ArchiveFlags {
  std::string root_prefix;
  std::string name;
  std::string output;  // archive: the new directory; reproduce: the archive
  std::string suffix = "-repro";
};

int run_archive(const ArchiveFlags& flags) {
  auto root = graft_root(flags.root_prefix);
  if (!root) return report_error(root.error());
  auto record = load_record(*root, flags.name);
  if (!record) return report_error(record.error());
  const fs::path out = flags.output;
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    return report_error(Error(ErrorCode::kAlreadyExists,
                              fmt::format("'{}' exists and is not empty: archive into a new "
                                          "directory",
                                          out.string())));
  }
  std::vector<std::pair<std::string, std::string>> files;  // relative path, content
  files.emplace_back("experiment.yml", record->experiment.spec);
  for (const registry::Variant& v : record->variants) {
    files.emplace_back("variants/" + v.name + "/environment.yml", v.environment);
    files.emplace_back("variants/" + v.name + "/explicit.txt", v.lock);
    files.emplace_back("variants/" + v.name + "/variant.json",
                       Json{{"name", v.name},
                            {"env", v.env_name},
                            {"prefix", v.prefix},
                            {"command", v.command},
                            {"replicas", v.replicas},
                            {"environment_sha256", v.environment_sha256},
                            {"lock_sha256", v.lock_sha256}}
                               .dump(2) +
                           "\n");
  }
  const auto& code = record->experiment.code;
  files.emplace_back(
      "code.json",
      Json{{"repository", code.repository}, {"commit", code.commit}, {"dirty", code.dirty}}.dump(
          2) +
          "\n");
  files.emplace_back("dataset.txt", record->experiment.dataset + "\n");
  files.emplace_back("decisions.json", json_text(experiment::status_json(*record)["decisions"]));
  if (auto report = recorded_report(*root, *record)) {
    files.emplace_back("report.json", json_text(*report));
  }
  std::string sums;
  for (const auto& [path, content] : files) {
    sums += base::sha256_hex(content) + "  " + path + "\n";
  }
  files.emplace_back("SHA256SUMS", sums);
  // Written beside the target, then renamed: an archive is complete or absent.
  const fs::path staging = out.parent_path() / ("." + out.filename().string() + ".partial");
  (void)base::remove_tree(staging);
  for (const auto& [path, content] : files) {
    const fs::path target = staging / path;
    if (auto made = base::make_directories(target.parent_path()); !made) {
      return report_error(made.error());
    }
    if (auto written = base::write_file_atomic(target, content); !written) {
      (void)base::remove_tree(staging);
      return report_error(written.error());
    }
  }
  if (fs::exists(out, ec)) fs::remove(out, ec);
  if (auto renamed = base::rename_path(staging, out); !renamed) {
    (void)base::remove_tree(staging);
    return report_error(renamed.error());
  }
  std::fprintf(stdout, "archived experiment '%s' in %s (%zu files, SHA256SUMS)\n",
               flags.name.c_str(), out.c_str(), files.size());
  return 0;
}

int run_reproduce(const ArchiveFlags& flags) {
  const fs::path dir = flags.output;  // the archive directory (positional)
  auto sums = base::read_file(dir / "SHA256SUMS");
  if (!sums) return report_error(sums.error());
  // Every file listed must match its sum.
  std::size_t start = 0;
  while (start < sums->size()) {
    std::size_t end = sums->find('\n', start);
    if (end == std::string::npos) end = sums->size();
    std::string line = sums->substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      return report_error(Error(
          ErrorCode::kCorrupt,
          fmt::format("{}: a line is not '<sha256>  <file>'", (dir / "SHA256SUMS").string())));
    }
    const std::string path = line.substr(66);
    if (path.find("..") != std::string::npos || path.starts_with('/')) {
      return report_error(Error(ErrorCode::kCorrupt,
                                fmt::format("SHA256SUMS names '{}' outside the archive", path)));
    }
    auto content = base::read_file(dir / path);
    if (!content) return report_error(content.error());
    if (base::sha256_hex(*content) != line.substr(0, 64)) {
      return report_error(Error(ErrorCode::kCorrupt,
                                fmt::format("'{}' in the archive does not match its SHA256SUMS "
                                            "line: the archive was changed",
                                            path)));
    }
  }
  std::error_code ec;
  int made = 0;
  for (const auto& entry : fs::directory_iterator(dir / "variants", ec)) {
    auto meta_text = base::read_file(entry.path() / "variant.json");
    if (!meta_text) return report_error(meta_text.error());
    Json meta = Json::parse(*meta_text, nullptr, false);
    if (!meta.is_object() || !meta.contains("env")) {
      return report_error(
          Error(ErrorCode::kCorrupt, fmt::format("'{}' is not a variant description",
                                                 (entry.path() / "variant.json").string())));
    }
    std::string env = meta["env"].get<std::string>();
    if (env.find('/') != std::string::npos) env = fs::path(env).filename().string();
    const std::string target = env + flags.suffix;
    if (auto created = run_self(
            {"create", "-n", target, "--file", (entry.path() / "explicit.txt").string(), "--yes"},
            flags.root_prefix);
        !created) {
      return report_error(created.error());
    }
    std::fprintf(stdout, "%s: recreated as '%s'\n", meta["name"].get<std::string>().c_str(),
                 target.c_str());
    ++made;
  }
  if (made == 0) {
    return report_error(
        Error(ErrorCode::kCorrupt,
              fmt::format("'{}' holds no variants: not an experiment archive", dir.string())));
  }
  return 0;
}

GRAFT_VERB({.name = "exp archive",
            .help = "write an experiment's spec, environments, locks, code, decisions and report",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ArchiveFlags>();
              command.add_option("NAME", flags->name, "the experiment's name")->required();
              command.add_option("-o,--output", flags->output, "a new directory")->required();
              add_root_prefix_flag(command, flags->root_prefix);
              return [flags] { return run_archive(*flags); };
            }});

GRAFT_VERB({.name = "exp reproduce",
            .help = "recreate every variant's environment of an archive from its lock",
            .setup = [](CLI::App& command) -> VerbRun {
              auto flags = std::make_shared<ArchiveFlags>();
              command.add_option("DIR", flags->output, "an archive made by 'graft exp archive'")
                  ->required();
              command.add_option("--suffix", flags->suffix,
                                 "appended to each environment's name (default -repro)");
              add_root_prefix_flag(command, flags->root_prefix);
              return [flags] { return run_reproduce(*flags); };
            }});

}  // namespace
}  // namespace graft::cli
