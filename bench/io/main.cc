// bench_io: run with Google Benchmark's usual flags, e.g.
//   build/bench/bench_io --benchmark_format=json --benchmark_filter=crc32c
// Each subject benchmarks Spool next to a reference in the same run; pair them by name.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
