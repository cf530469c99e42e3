// Single-precision matrix multiply, the kernel every Dense and Conv2D layer runs on.
//
//   // C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, row-major, leading dimensions
//   kernels::sgemm(false, true, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
//   Tensor c = matmul(a, b);   // 2-D f32 tensors (any strides), a new contiguous result
//
// Legend: M rows of op(A) and C, N columns of op(B) and C, K the shared dimension.
// op(X) is X or its transpose; lda/ldb/ldc are row strides in elements (row-major, as
// NumPy and torch store matrices). beta == 0 overwrites C without reading it (NaNs in
// the old C do not leak), as BLAS does.
//
// Thread-safety: calls may run concurrently on distinct outputs; a call splits its work
// over the process-wide pool (thread_pool.h) and gives bitwise the same result for the
// same inputs and thread count.
#pragma once

#include <cstdint>
#include <string_view>

#include "spool/tensor/tensor.h"

namespace spool::kernels {

void sgemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc);

// Which micro-kernel sgemm uses on this CPU (e.g. "avx2-fma" or "portable").
std::string_view sgemm_implementation();

}  // namespace spool::kernels

namespace spool {

// [M, K] x [K, N] -> [M, N] for f32 tensors of any strides; InvalidArgument quotes both
// shapes when they do not fit.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace spool
