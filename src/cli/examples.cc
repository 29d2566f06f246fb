#include "cli/examples.h"

#include <array>
#include <utility>

namespace graft::cli {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 45> kExamples{{
    {"create",
     "graft create -n prod -c conda-forge python=3.11 pytorch\n"
     "graft create -n cand --clone prod"},
    {"install", "graft install -n cand -c ./channel 'ctr-model=2.*'"},
    {"update", "graft update -n prod --all"},
    {"remove", "graft remove -n cand ctr-model"},
    {"list", "graft list -n prod\ngraft list -n prod --revisions --json"},
    {"search", "graft search -c conda-forge 'numpy>=1.26'"},
    {"info", "graft info --json"},
    {"run", "graft run -n prod -- python serve.py --port 8000"},
    {"diff", "graft diff prod cand"},
    {"verify", "graft verify -n prod\ngraft verify -n prod --repair"},
    {"clean", "graft clean --all --dry-run"},
    {"pack",
     "graft pack --name ctr-model --version 2.0 --noarch python "
     "--entry-point 'ctr-serve = ctr.serve:main' --output-dir channel/noarch src/"},
    {"index", "graft index ./channel"},
    {"env list", "graft env list --json"},
    {"env create", "graft env create -f environment.yml -n prod-copy"},
    {"env export",
     "graft env export -n prod > environment.yml\n"
     "graft env export -n prod --no-builds\n"
     "graft env export -n prod --format explicit -f prod.lock"},
    {"env remove", "graft env remove -n cand -y"},
    {"env freeze", "graft env freeze -n prod"},
    {"env unfreeze", "graft env unfreeze -n prod"},
    {"env config vars set", "graft env config vars set -n prod MODEL_DIR=/models/v1"},
    {"env config vars unset", "graft env config vars unset -n prod MODEL_DIR"},
    {"env config vars list", "graft env config vars list -n prod --json"},
    {"proxy", "graft proxy -c route.yml"},
    {"route status", "graft route status -c route.yml --json"},
    {"route set", "graft route set -c route.yml baseline=90 treatment=10"},
    {"route rollback", "graft route rollback -c route.yml"},
    {"exp check", "graft exp check experiment.yml"},
    {"exp start", "graft exp start experiment.yml\ngraft exp start experiment.yml --detach"},
    {"exp resume", "graft exp resume ctr-v3 --detach"},
    {"exp status", "graft exp status ctr-v3 --json"},
    {"exp list", "graft exp list --json"},
    {"exp show", "graft exp show ctr-v3"},
    {"exp pause", "graft exp pause ctr-v3"},
    {"exp stop", "graft exp stop ctr-v3"},
    {"exp set-weight", "graft exp set-weight ctr-v3 treatment=20"},
    {"exp rollback", "graft exp rollback ctr-v3"},
    {"exp promote", "graft exp promote ctr-v3 --adopt"},
    {"exp feedback", "graft exp feedback ctr-v3 clicks.jsonl"},
    {"exp analyze", "graft exp analyze --log access.jsonl --weights baseline=90,treatment=10"},
    {"exp report", "graft exp report ctr-v3\ngraft exp report ctr-v3 --html report.html"},
    {"exp swap", "graft exp swap ctr-v3 treatment --env cand-hotfix"},
    {"exp archive", "graft exp archive ctr-v3 -o archive/ctr-v3"},
    {"exp reproduce", "graft exp reproduce archive/ctr-v3 --suffix -repro"},
    {"exp load",
     "graft exp load http://127.0.0.1:8080/predict --users 500 --rate 100 --until ctr-v3"},
    {"completion", "graft completion bash > ~/.local/share/bash-completion/completions/graft"},
}};

}  // namespace

std::string_view verb_example(std::string_view name) {
  for (const auto& [verb, example] : kExamples) {
    if (verb == name) return example;
  }
  return {};
}

std::string_view workflow_example() {
  return "graft create -n prod -c ./channel python ctr-model=1.0   # the baseline\n"
         "graft env freeze -n prod                                 # nobody changes it by "
         "accident\n"
         "graft create -n cand --clone prod                        # a copy in under a second\n"
         "graft install -n cand -c ./channel ctr-model=2.0         # the treatment\n"
         "graft diff prod cand                                     # exactly what differs\n"
         "graft env export -n cand --format explicit -f cand.lock  # a lock to rebuild it "
         "anywhere\n"
         "graft exp start experiment.yml --detach                  # canary 1 -> 10 -> 50 -> 100%\n"
         "graft exp status ctr-v3                                  # decisions and their reasons\n"
         "graft exp report ctr-v3 --html report.html               # verdict, traffic, latency, "
         "diff\n"
         "graft exp promote ctr-v3 --adopt                         # the winner becomes prod";
}

}  // namespace graft::cli
