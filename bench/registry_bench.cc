// registry: how fast the proxy's assignment batches go into <root>/graft.db.
// Each iteration appends one batch (32-hex-digit random request ids, as the proxy makes
// them) in one transaction to a registry on the system temp dir, which keeps growing over
// the run, as a live experiment's does. Reports rows per second (items_per_second); the
// target is >= 100k rows/s. Also: the windowed per-variant count the controller runs at
// the end of each window, over the rows written.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "base/fs.h"
#include "registry/registry.h"
#include "registry/traffic.h"

namespace {

namespace registry = graft::registry;

struct Scratch {
  graft::base::TempDir dir;
  registry::Registry registry;
  registry::ExperimentId id;
};

Scratch open_scratch() {
  auto dir = graft::base::TempDir::create("graft-registry-bench-");
  auto opened = registry::Registry::open(dir.value().path() / registry::kFileName);
  registry::NewExperiment experiment{
      .name = "bench",
      .salt = "bench",
      .variants = {{.name = "baseline"}, {.name = "treatment"}},
  };
  auto created = opened.value().create_experiment(experiment);
  return {std::move(*dir), std::move(*opened), created.value().id};
}

std::vector<registry::Assignment> make_batch(std::mt19937_64& random, std::int64_t first_micros,
                                             int size) {
  std::vector<registry::Assignment> batch;
  batch.reserve(size);
  for (int i = 0; i < size; ++i) {
    const std::uint64_t user = random() % 50'000;
    batch.push_back({.request_id = fmt::format("{:016x}{:016x}", random(), random()),
                     .variant = user % 10 == 0 ? "treatment" : "baseline",
                     .user_hash = user * 0x9E3779B97F4A7C15u,
                     .at = registry::from_micros(first_micros + i),
                     .status = 200,
                     .latency = registry::Duration(800 + i % 400)});
  }
  return batch;
}

void BM_AppendAssignments(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  Scratch scratch = open_scratch();
  registry::TrafficLog log(scratch.registry);
  std::mt19937_64 random(42);
  std::int64_t micros = 1'700'000'000'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batch = make_batch(random, micros, size);
    micros += size;
    state.ResumeTiming();
    auto outcome = log.append_assignments(scratch.id, batch);
    if (!outcome) {
      std::fprintf(stderr, "%s\n", outcome.error().message().c_str());
      state.SkipWithError("append failed");
      return;
    }
    if (outcome->written != size) {
      state.SkipWithError("a request id was written twice");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * size);
}
BENCHMARK(BM_AppendAssignments)->Arg(100)->Arg(1'000)->Arg(10'000)->Unit(benchmark::kMillisecond);

void BM_WindowTraffic(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  Scratch scratch = open_scratch();
  registry::TrafficLog log(scratch.registry);
  std::mt19937_64 random(7);
  const std::int64_t start = 1'700'000'000'000'000;
  if (!log.append_assignments(scratch.id, make_batch(random, start, rows))) {
    state.SkipWithError("could not write the rows");
    return;
  }
  const registry::TimeRange window{registry::from_micros(start),
                                   registry::from_micros(start + rows)};
  for (auto _ : state) {
    auto counts = log.traffic(scratch.id, window);
    benchmark::DoNotOptimize(counts);
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_WindowTraffic)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
