// sgemm on AVX-512F: the same 6 × 16 tile layout as gemm_avx2.cc (its packing routines
// too), with one zmm accumulator per tile row, and two tiles of rows at once.
//
// Legend: M, N, K as in gemm.h; MR = 6 rows × NR = 16 columns of C per tile; p the step
// along K; r a row of the (paired) tile.
//
// Why pairs: a 6 × 16 tile is six 16-lane accumulators, six independent FMA chains, and
// a core with two 512-bit FMA pipes at 4 cycles of latency (Zen 4/5 class) needs eight
// in flight. Two vertically adjacent tiles (12 × 16) share each B vector: twelve chains,
// 13 loads (1 of B, 12 broadcasts of A) per 12 FMAs. The gain over the AVX2 kernels is
// the CPU's: Zen 5 runs 512-bit FMAs at full width, twice the ymm rate, while Zen 4
// splits each into two 256-bit halves (bench_kernels fma_peak shows which).
//
// Bitwise: every C element is the same FMA chain over p, then alpha · acc + beta · C, as
// in gemm_avx2.cc, so the two kernel sets give the same bits (tested).
//
// Compiled for every x86-64 CPU; only functions marked SPOOL_AVX512 use AVX-512 and they
// are reached only after __builtin_cpu_supports said yes.
#include "spool/tensor/kernels/gemm_micro.h"

namespace spool::kernels::gemm {

#if SPOOL_GEMM_X86
namespace {

#define SPOOL_AVX512 __attribute__((target("avx512f,avx2,fma")))

// One row into C: alpha · acc + beta · C (C read only when beta != 0), columns past nr
// masked off, so a partial tile sees a full row's arithmetic.
SPOOL_AVX512 inline void store_row(float* c, __m512 acc, __m512 alpha, __m512 beta, bool read_c, __mmask16 mask) {
  acc = _mm512_mul_ps(alpha, acc);
  if (read_c) acc = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask, c), acc);
  _mm512_mask_storeu_ps(c, mask, acc);
}

// R live rows: 1..6 (one tile) or 12 (a pair, the second tile's A at a + a_next). Named
// accumulators, as in gemm_avx2.cc, keep GCC from spilling an array.
template <int R, bool kPackedA>
SPOOL_AVX512 void tile_avx512(const Tile& t) {
  [[maybe_unused]] __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  [[maybe_unused]] __m512 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  const std::int64_t a_rs = kPackedA ? 1 : t.a_rs;
  const std::int64_t a_cs = kPackedA ? kMr : t.a_cs;
  const std::int64_t b_rs = t.b_rs;
  const std::int64_t k = t.k;
  const float* a = t.a;
  [[maybe_unused]] const float* a2 = t.a + t.a_next;
  const float* b = t.b;
  for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
#define SPOOL_GEMM_ROW(r, base, offset)                                              \
  if constexpr (R > r) {                                                             \
    c##r = _mm512_fmadd_ps(_mm512_set1_ps(base[(offset) * a_rs]), b0, c##r);         \
  }
#pragma GCC unroll 4
  for (std::int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    SPOOL_GEMM_ROW(0, a, 0)
    SPOOL_GEMM_ROW(1, a, 1)
    SPOOL_GEMM_ROW(2, a, 2)
    SPOOL_GEMM_ROW(3, a, 3)
    SPOOL_GEMM_ROW(4, a, 4)
    SPOOL_GEMM_ROW(5, a, 5)
    SPOOL_GEMM_ROW(6, a2, 0)
    SPOOL_GEMM_ROW(7, a2, 1)
    SPOOL_GEMM_ROW(8, a2, 2)
    SPOOL_GEMM_ROW(9, a2, 3)
    SPOOL_GEMM_ROW(10, a2, 4)
    SPOOL_GEMM_ROW(11, a2, 5)
    a += a_cs;
    if constexpr (R > kMr) a2 += a_cs;
    b += b_rs;
  }
#undef SPOOL_GEMM_ROW
  const __m512 alpha = _mm512_set1_ps(t.alpha);
  const __m512 beta = _mm512_set1_ps(t.beta);
  const bool read_c = t.beta != 0.0f;
  const auto mask = static_cast<__mmask16>((1u << t.nr) - 1u);
  float* c = t.c;
  const std::int64_t ldc = t.ldc;
  if constexpr (R > 0) store_row(c, c0, alpha, beta, read_c, mask);
  if constexpr (R > 1) store_row(c + ldc, c1, alpha, beta, read_c, mask);
  if constexpr (R > 2) store_row(c + 2 * ldc, c2, alpha, beta, read_c, mask);
  if constexpr (R > 3) store_row(c + 3 * ldc, c3, alpha, beta, read_c, mask);
  if constexpr (R > 4) store_row(c + 4 * ldc, c4, alpha, beta, read_c, mask);
  if constexpr (R > 5) store_row(c + 5 * ldc, c5, alpha, beta, read_c, mask);
  if constexpr (R > 6) store_row(c + 6 * ldc, c6, alpha, beta, read_c, mask);
  if constexpr (R > 7) store_row(c + 7 * ldc, c7, alpha, beta, read_c, mask);
  if constexpr (R > 8) store_row(c + 8 * ldc, c8, alpha, beta, read_c, mask);
  if constexpr (R > 9) store_row(c + 9 * ldc, c9, alpha, beta, read_c, mask);
  if constexpr (R > 10) store_row(c + 10 * ldc, c10, alpha, beta, read_c, mask);
  if constexpr (R > 11) store_row(c + 11 * ldc, c11, alpha, beta, read_c, mask);
}

void tile(const Tile& t) {
  dispatch_tile(t, [&]<int R, bool kPackedA>() { tile_avx512<R, kPackedA>(t); });
}

}  // namespace

const Kernels* avx512_kernels() {
  const Kernels* avx2 = avx2_kernels();  // the packing routines, and AVX2 itself
  __builtin_cpu_init();
  if (avx2 == nullptr || !__builtin_cpu_supports("avx512f")) return nullptr;
  static const Kernels kernels{"avx512f", &tile, avx2->pack_a, avx2->pack_b, /*row_pairs=*/true};
  return &kernels;
}

#else

const Kernels* avx512_kernels() { return nullptr; }

#endif

}  // namespace spool::kernels::gemm
