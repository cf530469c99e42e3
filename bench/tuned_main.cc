// main() of the benchmark programs that run Spool as the `spool` command runs it: on the
// malloc SPOOL_ALLOCATOR links, and glibc's tuned first when that is the one
// (spool::tune_malloc_for_streaming), so both sides of every ratio in the program share
// the settings. Google Benchmark's flags work, e.g.
//   build/bench/bench_training --benchmark_filter=train_step/mlp
// (train_compare.py gives its PyTorch children the same settings via GLIBC_TUNABLES).
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
