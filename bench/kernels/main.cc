// bench_kernels: compute kernels (GEMM, conv2d, ...) next to OpenBLAS and libtorch in
// the same run, one file per subject under bench/kernels/. Run with Google Benchmark's
// usual flags, e.g.
//   build/bench/bench_kernels --benchmark_filter='gemm|fma' --benchmark_repetitions=3
// Names are <subject>/<impl>/<shape>/threads:<T>; a script pairs the impls by the rest.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
