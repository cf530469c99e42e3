// fma_peak/threads:1 (ymm) and fma_peak/avx512/threads:1 (zmm): this core's FP32 peak,
// the ceiling the GEMM figures are read against, for each kernel set. Twelve independent
// FMA chains: two FMA pipes with 4 cycles of latency need eight in flight, and twelve
// leave margin (as the GEMM tiles do: 6 × 16 in ymm, 12 × 16 in zmm). Counts 2 flops per
// lane per FMA. Zen 5 runs zmm FMAs at full width (the zmm figure about twice the ymm
// one); Zen 4 splits each in two halves (the two figures about equal).
// bench/make_results.py reads the pair into bench/RESULTS.md's machine table.
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

__attribute__((target("avx512f,avx2,fma"))) float fma_chains_avx512(std::int64_t steps, float seed) {
  __m512 acc[kChains];
#pragma GCC unroll 16
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(seed + static_cast<float>(c));
  const __m512 x = _mm512_set1_ps(1.0f);
  const __m512 y = _mm512_set1_ps(0.0f);
  for (std::int64_t s = 0; s < steps; ++s) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
#pragma GCC unroll 16
    for (int c = 0; c < kChains; ++c) asm volatile("" : "+v"(acc[c]));
  }
  __m512 sum = acc[0];
#pragma GCC unroll 16
  for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
  alignas(64) float lanes[16];  // not _mm512_reduce_add_ps: GCC 12 warns inside its header
  _mm512_store_ps(lanes, sum);
  return lanes[0];
}

bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool has_avx512() { return __builtin_cpu_supports("avx512f"); }

// `chains` runs the twelve chains of `lanes`-wide vectors where `supported` says yes.
void bm_fma_peak(benchmark::State& state, float (*chains)(std::int64_t, float), int lanes, bool (*supported)()) {
  if (!supported()) {
    state.SkipWithError("this CPU lacks the instructions");
    return;
  }
  float seed = 1.0f;
  for (auto _ : state) {
    seed = chains(kStepsPerIteration, seed) * 1e-30f;
    benchmark::DoNotOptimize(seed);
  }
  state.counters["GFLOPS"] = benchmark::Counter(static_cast<double>(kStepsPerIteration) * kChains * lanes * 2,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK_CAPTURE(bm_fma_peak, ymm, fma_chains, 8, has_avx2)->Name("fma_peak/threads:1")->UseRealTime();
BENCHMARK_CAPTURE(bm_fma_peak, zmm, fma_chains_avx512, 16, has_avx512)
    ->Name("fma_peak/avx512/threads:1")
    ->UseRealTime();

}  // namespace

#endif
