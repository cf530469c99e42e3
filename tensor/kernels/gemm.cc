// sgemm: for now a plain triple loop (the reference the fast kernel will be tested
// against); the blocked AVX2/FMA kernel replaces it.
#include "spool/tensor/kernels/gemm.h"

namespace spool::kernels {

void sgemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
           std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      float acc = 0;
      for (std::int64_t p = 0; p < k; ++p) acc += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = alpha * acc + (beta == 0.0f ? 0.0f : beta * c[i * ldc + j]);
    }
  }
}

std::string_view sgemm_implementation() { return "reference"; }

}  // namespace spool::kernels

namespace spool {

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  SPOOL_CHECK(a.dtype() == DType::kF32 && b.dtype() == DType::kF32 && a.rank() == 2 && b.rank() == 2,
              InvalidArgument, "matmul: needs 2-D f32 tensors, got ", dtype_name(a.dtype()), a.shape().to_string(),
              " and ", dtype_name(b.dtype()), b.shape().to_string());
  const Tensor ac = a.contiguous();
  const Tensor bc = b.contiguous();
  const std::int64_t m = ta ? ac.dim(1) : ac.dim(0);
  const std::int64_t k = ta ? ac.dim(0) : ac.dim(1);
  const std::int64_t kb = tb ? bc.dim(1) : bc.dim(0);
  const std::int64_t n = tb ? bc.dim(0) : bc.dim(1);
  SPOOL_CHECK(k == kb, InvalidArgument, "matmul: shapes ", a.shape().to_string(), (ta ? "ᵀ" : ""), " and ",
              b.shape().to_string(), (tb ? "ᵀ" : ""), " do not fit (", k, " vs ", kb, ")");
  Tensor c = Tensor::empty(Shape{m, n}, DType::kF32);
  kernels::sgemm(ta, tb, m, n, k, 1.0f, ac.data<float>(), ac.dim(1), bc.data<float>(), bc.dim(1), 0.0f,
                 c.data<float>(), n);
  return c;
}

}  // namespace spool
