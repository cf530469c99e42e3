// Single-precision matrix multiply, the kernel every Dense and Conv2D layer runs on.
//
//   // C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C, row-major, leading dimensions
//   kernels::sgemm(false, true, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
//   Tensor c = matmul(a, b);   // 2-D f32 tensors (any strides), a new contiguous result
//
// Legend: M rows of op(A) and C, N columns of op(B) and C, K the shared dimension.
// op(X) is X or its transpose; lda/ldb/ldc are row strides in elements (row-major, as
// NumPy and torch store matrices). beta == 0 overwrites C without reading it (NaNs in
// the old C do not leak), as BLAS does; alpha == 0 or K == 0 scales C by beta without
// reading A or B. Negative sizes, or a leading dimension shorter than its row, throw
// InvalidArgument quoting them.
//
// How: Goto's blocked algorithm (gemm_driver.cc) packs op(A) and op(B) into cache-sized
// panels (both transposes are resolved while packing) and sweeps a 6 × 16 register
// tile over them (gemm_avx2.cc with AVX2 + FMA, chosen at run time; gemm_portable.cc
// elsewhere). Small products skip the packing that would not pay and stay on the
// calling thread. Steady-state calls allocate nothing (thread-local scratch).
//
// Thread-safety: calls may run concurrently on distinct outputs; a call splits its work
// over the process-wide pool (thread_pool.h) by ranges of C's rows or columns, never
// along K, so it gives bitwise the same result for the same inputs whatever the thread
// count (and a fortiori for the same count).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "spool/tensor/tensor.h"

namespace spool::kernels {

void sgemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc);

// Which micro-kernel sgemm uses on this CPU (e.g. "avx2-fma" or "portable").
std::string_view sgemm_implementation();

// The portable path, always available: tests compare it with the fast one.
void sgemm_portable(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                    const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                    std::int64_t ldc);

// One implementation this CPU can run, with sgemm's signature.
struct SgemmImplementation {
  std::string_view name;
  void (*sgemm)(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                std::int64_t ldc);
};

// Every implementation this CPU can run, fastest first: front() is what sgemm uses and
// back() is the portable path. Valid for the program's life.
std::span<const SgemmImplementation> sgemm_implementations();

}  // namespace spool::kernels

namespace spool::kernels {

// [M, K] x [K, N] -> [M, N] for f32 tensors of any strides; InvalidArgument quotes both
// shapes when they do not fit. Views whose strides describe a row-major matrix or its
// transpose (a.transpose(0, 1), narrowed rows or columns) are read in place; other
// layouts are copied first.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace spool::kernels
