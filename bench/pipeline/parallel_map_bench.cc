// Parallel map scaling: a CPU-bound function (500, 2000 or 10000 rounds of dependent
// integer arithmetic per element) mapped over Dataset::range with 1 worker (inline) and
// with 2 workers in the same iteration, next to a plain loop calling the function and the
// same loop split over two plain std::threads. Counters: us_per_element (the function's
// cost on this machine); speedup_2_vs_1 = time(1) / time(2) (goal >= 1.8 on 2 cores);
// raw_threads_2_vs_1 = loop time / split-loop time, what the machine gives two threads
// at that moment (on a VM whose two vCPUs may share one physical core it varies from
// run to run); of_raw = speedup_2_vs_1 / raw_threads_2_vs_1; overhead_1 =
// time(1) / loop time - 1.
#include <benchmark/benchmark.h>

#include <thread>

#include "pipeline_bench_util.h"

namespace spool::bench {
namespace {

constexpr std::int64_t kElements = 20000;
// A round is a multiply, an add, a shift and a xor in one dependent chain: 500 rounds are
// meant to sit below the map's hand-off threshold (data/detail/parallel_iterator.cc),
// 10000 to cost about what a small image augmentation does.
int rounds = 2000;

std::int64_t spin(std::int64_t seed) {
  auto x = static_cast<std::uint64_t>(seed);
  for (int i = 0; i < rounds; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    x ^= x >> 29;
  }
  return static_cast<std::int64_t>(x);
}

data::Element spin_element(data::Element e) {
  return data::Element{Tensor::scalar<std::int64_t>(spin(e[0].item<std::int64_t>()))};
}

void bm_parallel_map(benchmark::State& state) {
  rounds = static_cast<int>(state.range(0));
  const data::Dataset source = data::Dataset::range(kElements);
  const data::Dataset one = source.map(spin_element, data::MapOptions().parallelism(1));
  const data::Dataset two = source.map(spin_element, data::MapOptions().parallelism(2));
  const auto loop = [](std::int64_t begin, std::int64_t end) {
    std::int64_t sum = 0;
    for (std::int64_t i = begin; i < end; ++i) sum += spin(i);
    benchmark::DoNotOptimize(sum);
  };
  double loop_s = 0, raw2_s = 0, one_s = 0, two_s = 0;
  for (auto _ : state) {
    loop_s += seconds_of([&] { loop(0, kElements); });
    raw2_s += seconds_of([&] {
      std::thread other(loop, kElements / 2, kElements);
      loop(0, kElements / 2);
      other.join();
    });
    one_s += seconds_of([&] { drain(one); });
    two_s += seconds_of([&] { drain(two); });
  }
  const double n = static_cast<double>(kElements) * static_cast<double>(state.iterations());
  state.counters["us_per_element"] = loop_s / n * 1e6;
  state.counters["elements_per_s_1"] = n / one_s;
  state.counters["elements_per_s_2"] = n / two_s;
  state.counters["speedup_2_vs_1"] = one_s / two_s;
  state.counters["raw_threads_2_vs_1"] = loop_s / raw2_s;
  state.counters["of_raw"] = (one_s / two_s) / (loop_s / raw2_s);
  state.counters["overhead_1"] = one_s / loop_s - 1;
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}

BENCHMARK(bm_parallel_map)
    ->Name("parallel_map/spin_rounds")
    ->Arg(500)
    ->Arg(2000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace spool::bench
