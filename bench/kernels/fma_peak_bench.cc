// fma_peak/threads:1: this core's FP32 peak, the ceiling the GEMM figures are read
// against. Twelve independent 8-lane FMA chains: Zen 3 has two FMA pipes with 4 cycles
// of latency, so eight chains saturate it and twelve leave margin (as the 6 × 16 GEMM
// tile does). Counts 2 flops per lane per FMA.
#include <benchmark/benchmark.h>

#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace {

constexpr int kChains = 12;
constexpr std::int64_t kStepsPerIteration = 1 << 16;

__attribute__((target("avx2,fma"))) float fma_chains(std::int64_t steps, float seed) {
  __m256 acc[kChains];
#pragma GCC unroll 16
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(seed + static_cast<float>(c));
  // The pragmas unroll the chain loops completely, which lets GCC keep acc[] in
  // registers instead of a stack array.
  // x · 1 + 0 keeps values finite; the FMA unit does the same work whatever the operands.
  const __m256 x = _mm256_set1_ps(1.0f);
  const __m256 y = _mm256_set1_ps(0.0f);
  for (std::int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
    // An empty asm that "changes" the accumulators stops the compiler folding x·1+0.
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) asm volatile("" : "+x"(acc[c]));
  }
  __m256 sum = acc[0];
#pragma GCC unroll 16
  for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
  return _mm256_cvtss_f32(sum);
}

void bm_fma_peak(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("this CPU has no AVX2 + FMA");
    return;
  }
  float seed = 1.0f;
  for (auto _ : state) {
    seed = fma_chains(kStepsPerIteration, seed) * 1e-30f;
    benchmark::DoNotOptimize(seed);
  }
  state.counters["GFLOPS"] = benchmark::Counter(static_cast<double>(kStepsPerIteration) * kChains * 8 * 2,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(bm_fma_peak)->Name("fma_peak/threads:1")->UseRealTime();

}  // namespace

#endif
