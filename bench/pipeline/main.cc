// bench_pipeline: Dataset pipelines, each measured beside a reference in the same
// iteration (the bare source, a hand-written loop, one worker), so the counters are
// ratios that survive a busy machine better than absolute times. Run e.g.
//   build/bench/bench_pipeline --benchmark_filter=map_chain
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
