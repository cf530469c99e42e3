// bench_pipeline: Dataset pipelines, each measured beside a reference in the same
// iteration (the bare source, a hand-written loop, one worker), so the counters are
// ratios that survive a busy machine better than absolute times. Run e.g.
//   build/bench/bench_pipeline --benchmark_filter=map_chain
// malloc is tuned as the `spool` command tunes it (both sides of every ratio share it).
#include <benchmark/benchmark.h>

#include "spool/tensor/malloc_tuning.h"

int main(int argc, char** argv) {
  spool::tune_malloc_for_streaming();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
