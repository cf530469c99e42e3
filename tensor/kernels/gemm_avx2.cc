// sgemm on AVX2 + FMA: the 6 × 16 register tile and the packing routines.
//
// Legend: M, N, K as in gemm.h; MR = 6 rows × NR = 16 columns of C per tile; p the step
// along K; r a row of the tile; KC, NC the block sizes of gemm_driver.cc.
//
// Why 6 × 16: twelve ymm accumulators + two B vectors + one broadcast A value fill 15 of
// the 16 ymm registers. Each step issues 12 independent FMAs against 8 loads (2 of B,
// 6 broadcasts of A); with Zen 3's two FMA pipes at 4 cycles of latency, eight
// independent FMAs in flight are needed and twelve leave slack.
//
// Compiled for every x86-64 CPU; only functions marked SPOOL_AVX2 use AVX2/FMA and
// they are reached only after __builtin_cpu_supports said yes.
#include <cstring>

#include "spool/tensor/kernels/gemm_micro.h"

namespace spool::kernels::gemm {

#if SPOOL_GEMM_X86
namespace {

#define SPOOL_AVX2 __attribute__((target("avx2,fma")))

// One row of the tile into C: alpha · acc + beta · C, or alpha · acc when beta == 0.
// The edge path (tile_store_partial) calls this same code on a copy, so a C element's
// bits do not depend on whether its tile was full.
SPOOL_AVX2 inline void store_row(float* c, __m256 lo, __m256 hi, __m256 alpha, __m256 beta, bool read_c) {
  lo = _mm256_mul_ps(alpha, lo);
  hi = _mm256_mul_ps(alpha, hi);
  if (read_c) {
    lo = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c), lo);
    hi = _mm256_fmadd_ps(beta, _mm256_loadu_ps(c + 8), hi);
  }
  _mm256_storeu_ps(c, lo);
  _mm256_storeu_ps(c + 8, hi);
}

// R live rows (1..6), so edge rows cost in proportion. kPackedA fixes A's strides at
// compile time (1, kMr), freeing the registers that hold row offsets. The accumulators
// are named variables, not an array: GCC keeps an array of __m256 on the stack unless
// every loop over it is fully unrolled first, and that proved fragile.
template <int R, bool kPackedA>
SPOOL_AVX2 void tile_avx2(const Tile& t) {
  [[maybe_unused]] __m256 lo0 = _mm256_setzero_ps(), hi0 = lo0, lo1 = lo0, hi1 = lo0, lo2 = lo0, hi2 = lo0;
  [[maybe_unused]] __m256 lo3 = lo0, hi3 = lo0, lo4 = lo0, hi4 = lo0, lo5 = lo0, hi5 = lo0;
  const std::int64_t a_rs = kPackedA ? 1 : t.a_rs;
  const std::int64_t a_cs = kPackedA ? kMr : t.a_cs;
  const std::int64_t b_rs = t.b_rs;
  const std::int64_t k = t.k;
  const float* a = t.a;
  const float* b = t.b;
  for (int r = 0; r < R; ++r) _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
#define SPOOL_GEMM_ROW(r)                                         \
  if constexpr (R > r) {                                          \
    const __m256 x = _mm256_broadcast_ss(a + r * a_rs);           \
    lo##r = _mm256_fmadd_ps(x, b0, lo##r);                        \
    hi##r = _mm256_fmadd_ps(x, b1, hi##r);                        \
  }
#pragma GCC unroll 4
  for (std::int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    SPOOL_GEMM_ROW(0)
    SPOOL_GEMM_ROW(1)
    SPOOL_GEMM_ROW(2)
    SPOOL_GEMM_ROW(3)
    SPOOL_GEMM_ROW(4)
    SPOOL_GEMM_ROW(5)
    a += a_cs;
    b += b_rs;
  }
#undef SPOOL_GEMM_ROW
  const __m256 alpha = _mm256_set1_ps(t.alpha);
  const __m256 beta = _mm256_set1_ps(t.beta);
  const bool read_c = t.beta != 0.0f;
  const bool full = t.nr == kNr;
  alignas(32) float part[kNr];
  const std::size_t bytes = static_cast<std::size_t>(t.nr) * sizeof(float);
  // A partial row goes through `part` so that it sees exactly the full row's arithmetic.
  const auto put = [&](int r, __m256 l, __m256 h) SPOOL_AVX2 {
    float* c = t.c + r * t.ldc;
    if (full) return store_row(c, l, h, alpha, beta, read_c);
    if (read_c) std::memcpy(part, c, bytes);
    store_row(part, l, h, alpha, beta, read_c);
    std::memcpy(c, part, bytes);
  };
  if constexpr (R > 0) put(0, lo0, hi0);
  if constexpr (R > 1) put(1, lo1, hi1);
  if constexpr (R > 2) put(2, lo2, hi2);
  if constexpr (R > 3) put(3, lo3, hi3);
  if constexpr (R > 4) put(4, lo4, hi4);
  if constexpr (R > 5) put(5, lo5, hi5);
}

void tile(const Tile& t) {
  // Row pairs are the AVX-512 set's; this one is never given mr = 2 · kMr.
  dispatch_tile(t, [&]<int R, bool kPackedA>() {
    if constexpr (R <= kMr) tile_avx2<R, kPackedA>(t);
  });
}

void pack_a(bool transpose, const float* a, std::int64_t lda, std::int64_t mc, std::int64_t kc, float* dst) {
  for (std::int64_t i0 = 0; i0 < mc; i0 += kMr, dst += kMr * kc) {
    const int rows = static_cast<int>(mc - i0 < kMr ? mc - i0 : kMr);
    if (transpose) {  // step p of the sliver is already contiguous in A
      const float* src = a + i0;
      for (std::int64_t p = 0; p < kc; ++p, src += lda) {
        float* out = dst + p * kMr;
        for (int r = 0; r < kMr; ++r) out[r] = r < rows ? src[r] : 0.0f;
      }
    } else {
      for (int r = 0; r < kMr; ++r) {
        const float* src = a + (i0 + r) * lda;
        if (r < rows) {
          for (std::int64_t p = 0; p < kc; ++p) dst[p * kMr + r] = src[p];
        } else {
          for (std::int64_t p = 0; p < kc; ++p) dst[p * kMr + r] = 0.0f;
        }
      }
    }
  }
}

// In-register 8 × 8 transpose: row v of the result is column v of the input.
SPOOL_AVX2 inline void transpose8(__m256 (&v)[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
  }
  __m256 s[8];
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    v[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

// A full sliver of transposed B (16 stored rows, each contiguous along K), eight steps
// at a time through two 8 × 8 transposes.
SPOOL_AVX2 void pack_b_sliver_transposed(const float* b, std::int64_t ldb, std::int64_t kc, float* dst) {
  std::int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int half = 0; half < 2; ++half) {
      __m256 v[8];
      for (int j = 0; j < 8; ++j) v[j] = _mm256_loadu_ps(b + (half * 8 + j) * ldb + p);
      transpose8(v);
      for (int q = 0; q < 8; ++q) _mm256_store_ps(dst + (p + q) * kNr + half * 8, v[q]);
    }
  }
  for (; p < kc; ++p)
    for (int j = 0; j < kNr; ++j) dst[p * kNr + j] = b[j * ldb + p];
}

SPOOL_AVX2 void pack_b(bool transpose, const float* b, std::int64_t ldb, std::int64_t kc, std::int64_t nc,
                       float* dst) {
  for (std::int64_t j0 = 0; j0 < nc; j0 += kNr, dst += kNr * kc) {
    const int cols = static_cast<int>(nc - j0 < kNr ? nc - j0 : kNr);
    if (transpose && cols == kNr) {
      pack_b_sliver_transposed(b + j0 * ldb, ldb, kc, dst);
    } else if (transpose) {
      for (std::int64_t p = 0; p < kc; ++p)
        for (int j = 0; j < kNr; ++j) dst[p * kNr + j] = j < cols ? b[(j0 + j) * ldb + p] : 0.0f;
    } else if (cols == kNr) {
      const float* src = b + j0;
      for (std::int64_t p = 0; p < kc; ++p, src += ldb) {
        _mm256_store_ps(dst + p * kNr, _mm256_loadu_ps(src));
        _mm256_store_ps(dst + p * kNr + 8, _mm256_loadu_ps(src + 8));
      }
    } else {
      const float* src = b + j0;
      for (std::int64_t p = 0; p < kc; ++p, src += ldb)
        for (int j = 0; j < kNr; ++j) dst[p * kNr + j] = j < cols ? src[j] : 0.0f;
    }
  }
}

}  // namespace

const Kernels* avx2_kernels() {
  static const Kernels kernels{"avx2-fma", &tile, &pack_a, &pack_b};
  __builtin_cpu_init();  // we may run before the runtime's own constructors
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kernels;
  return nullptr;
}

#else

const Kernels* avx2_kernels() { return nullptr; }

#endif

}  // namespace spool::kernels::gemm
