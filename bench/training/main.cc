// bench_training: the pieces of a training step (optimizers, ...), each beside a plain
// reference run in the same iteration and reported as a ratio counter. Run e.g.
//   build/bench/bench_training --benchmark_filter=optimizer --benchmark_repetitions=3
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
