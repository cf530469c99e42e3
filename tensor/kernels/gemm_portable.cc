// sgemm without AVX2: the same 6 × 16 tile and packed layouts as gemm_avx2.cc, in
// plain C++ that the compiler vectorises for whatever the build targets (SSE2 on a
// baseline x86-64 build, NEON on arm64).
//
// Legend: M, N, K as in gemm.h; MR = 6 rows × NR = 16 columns of C per tile; p the step
// along K; r a row, j a column of the tile.
#include <cstring>

#include "spool/tensor/kernels/gemm_micro.h"

namespace spool::kernels::gemm {

namespace {

void tile(const Tile& t) {
  float acc[kMr][kNr] = {};
  const float* a = t.a;
  const float* b = t.b;
  for (std::int64_t p = 0; p < t.k; ++p, a += t.a_cs, b += t.b_rs) {
    for (int r = 0; r < kMr; ++r) {
      const float x = r < t.mr ? a[r * t.a_rs] : 0.0f;
      for (int j = 0; j < kNr; ++j) acc[r][j] += x * b[j];
    }
  }
  const bool read_c = t.beta != 0.0f;
  for (int r = 0; r < t.mr; ++r) {
    float* c = t.c + r * t.ldc;
    for (int j = 0; j < t.nr; ++j) {
      const float scaled = t.alpha * acc[r][j];
      c[j] = read_c ? t.beta * c[j] + scaled : scaled;
    }
  }
}

void pack_a(bool transpose, const float* a, std::int64_t lda, std::int64_t mc, std::int64_t kc, float* dst) {
  for (std::int64_t i0 = 0; i0 < mc; i0 += kMr, dst += kMr * kc) {
    const std::int64_t rows = mc - i0 < kMr ? mc - i0 : kMr;
    for (std::int64_t p = 0; p < kc; ++p)
      for (std::int64_t r = 0; r < kMr; ++r)
        dst[p * kMr + r] = r >= rows ? 0.0f : transpose ? a[p * lda + i0 + r] : a[(i0 + r) * lda + p];
  }
}

void pack_b(bool transpose, const float* b, std::int64_t ldb, std::int64_t kc, std::int64_t nc, float* dst) {
  for (std::int64_t j0 = 0; j0 < nc; j0 += kNr, dst += kNr * kc) {
    const std::int64_t cols = nc - j0 < kNr ? nc - j0 : kNr;
    for (std::int64_t p = 0; p < kc; ++p)
      for (std::int64_t j = 0; j < kNr; ++j)
        dst[p * kNr + j] = j >= cols ? 0.0f : transpose ? b[(j0 + j) * ldb + p] : b[p * ldb + j0 + j];
  }
}

}  // namespace

const Kernels& portable_kernels() {
  static const Kernels kernels{"portable", &tile, &pack_a, &pack_b};
  return kernels;
}

}  // namespace spool::kernels::gemm
