// The cost of a stage: 10 identity maps over a source next to the bare source, timed
// in the same iteration. The counter ns_per_element_per_stage is
// (chain - bare) / elements / 10; goal <= 100 ns. Rows:
//   map_chain/range/stats:{1,0}          Dataset::range, i64 scalars
//   map_chain/tensor_slices/stats:{1,0}  from_tensor_slices({u8[N,784], i64[N]})
// stats:0 runs with Options().collect_stats(false) (no clock reads per stage).
#include <benchmark/benchmark.h>

#include "pipeline_bench_util.h"

namespace spool::bench {
namespace {

constexpr std::int64_t kElements = 200000;
constexpr int kStages = 10;

data::Dataset with_maps(data::Dataset ds) {
  for (int i = 0; i < kStages; ++i) ds = ds.map([](data::Element e) { return e; });
  return ds;
}

void run_chain(benchmark::State& state, const data::Dataset& source) {
  const data::Options options = data::Options().collect_stats(state.range(0) != 0);
  const data::Dataset bare = source.with_options(options);
  const data::Dataset chain = with_maps(source).with_options(options);
  double bare_s = 0, chain_s = 0;
  std::int64_t elements = 0;
  for (auto _ : state) {
    bare_s += seconds_of([&] { elements += drain(bare); });
    chain_s += seconds_of([&] { drain(chain); });
  }
  const double passes = static_cast<double>(state.iterations());
  state.counters["bare_ns_per_element"] = bare_s / passes / kElements * 1e9;
  state.counters["chain_ns_per_element"] = chain_s / passes / kElements * 1e9;
  state.counters["ns_per_element_per_stage"] = (chain_s - bare_s) / passes / kElements / kStages * 1e9;
  state.SetItemsProcessed(elements);
}

void bm_range(benchmark::State& state) { run_chain(state, data::Dataset::range(kElements)); }

void bm_tensor_slices(benchmark::State& state) {
  const Tensor images = Tensor::zeros(Shape{kElements, 784}, DType::kU8);
  const Tensor labels = Tensor::zeros(Shape{kElements}, DType::kI64);
  run_chain(state, data::Dataset::from_tensor_slices(data::Element{images, labels}));
}

BENCHMARK(bm_range)->Name("map_chain/range")->ArgName("stats")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_tensor_slices)->Name("map_chain/tensor_slices")->ArgName("stats")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace spool::bench
