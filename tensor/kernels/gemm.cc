// sgemm's entry points: argument checks, run-time choice of micro-kernel, and matmul on
// Tensors. The blocked algorithm is in gemm_driver.cc.
#include "spool/tensor/kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "spool/tensor/kernels/gemm_micro.h"

namespace spool::kernels {

namespace {

void check_args(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t lda, std::int64_t ldb,
                std::int64_t ldc) {
  SPOOL_CHECK(m >= 0 && n >= 0 && k >= 0, InvalidArgument, "sgemm: negative size M=", m, " N=", n, " K=", k);
  // Row-major: a stored row of A holds K values (M when transposed), of B N (K), of C N.
  const std::int64_t a_row = ta ? m : k;
  const std::int64_t b_row = tb ? k : n;
  SPOOL_CHECK(lda >= a_row && ldb >= b_row && ldc >= n, InvalidArgument, "sgemm: leading dimensions lda=", lda,
              " ldb=", ldb, " ldc=", ldc, " are shorter than the rows they step over (", a_row, ", ", b_row, ", ", n,
              ") for M=", m, " N=", n, " K=", k, (ta ? " with A transposed" : ""),
              (tb ? " with B transposed" : ""));
}

// sgemm on one kernel set; `kernels` returns it (non-null where the set is listed).
template <auto kernels>
void sgemm_on(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
              std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  check_args(ta, tb, m, n, k, lda, ldb, ldc);
  gemm::run(*kernels(), gemm::Plan{}, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const gemm::Kernels* portable() { return &gemm::portable_kernels(); }

// Every kernel set, fastest first, with its entry point; `get` returns null where this
// CPU (or build) lacks the set. The portable set is always there.
struct KernelSet {
  const gemm::Kernels* (*get)();
  decltype(SgemmImplementation::sgemm) sgemm;
};
constexpr KernelSet kKernelSets[] = {{gemm::avx512_kernels, &sgemm_on<gemm::avx512_kernels>},
                                     {gemm::avx2_kernels, &sgemm_on<gemm::avx2_kernels>},
                                     {portable, &sgemm_on<portable>}};

}  // namespace

std::span<const SgemmImplementation> sgemm_implementations() {
  static const std::vector<SgemmImplementation> supported = [] {
    std::vector<SgemmImplementation> v;
    for (const KernelSet& set : kKernelSets) {
      if (const gemm::Kernels* kernels = set.get()) v.push_back({kernels->name, set.sgemm});
    }
    return v;
  }();
  return supported;
}

void sgemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
           std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  // The fastest set's entry point, chosen once.
  static const auto fastest = sgemm_implementations().front().sgemm;
  fastest(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void sgemm_portable(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
                    std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  sgemm_on<portable>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

std::string_view sgemm_implementation() { return sgemm_implementations().front().name; }

}  // namespace spool::kernels

namespace spool::kernels {

namespace {

// A 2-D f32 tensor as sgemm reads it: row-major with a leading dimension, possibly
// transposed. `keep` holds a contiguous copy when the strides fit neither layout.
struct Operand {
  const float* data;
  std::int64_t ld;
  bool transposed;
  Tensor keep;
};

Operand as_operand(const Tensor& t, bool transpose) {
  const std::int64_t rows = t.dim(0);
  const std::int64_t cols = t.dim(1);
  const std::int64_t s0 = t.strides()[0];
  const std::int64_t s1 = t.strides()[1];
  // An extent-1 axis may carry any stride; it is never stepped over.
  if ((cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= cols)) {
    return {t.data<float>(), rows <= 1 ? cols : s0, transpose, {}};
  }
  if ((rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= rows)) {
    return {t.data<float>(), cols <= 1 ? rows : s1, !transpose, {}};
  }
  Tensor copy = t.contiguous();
  return {copy.data<float>(), cols, transpose, copy};
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  SPOOL_CHECK(a.dtype() == DType::kF32 && b.dtype() == DType::kF32 && a.rank() == 2 && b.rank() == 2,
              InvalidArgument, "matmul: needs 2-D f32 tensors, got ", dtype_name(a.dtype()), a.shape().to_string(),
              " and ", dtype_name(b.dtype()), b.shape().to_string());
  const std::int64_t m = ta ? a.dim(1) : a.dim(0);
  const std::int64_t k = ta ? a.dim(0) : a.dim(1);
  const std::int64_t kb = tb ? b.dim(1) : b.dim(0);
  const std::int64_t n = tb ? b.dim(0) : b.dim(1);
  SPOOL_CHECK(k == kb, InvalidArgument, "matmul: shapes ", a.shape().to_string(), (ta ? "ᵀ" : ""), " and ",
              b.shape().to_string(), (tb ? "ᵀ" : ""), " do not fit (", k, " vs ", kb, ")");
  const Operand oa = as_operand(a, ta);
  const Operand ob = as_operand(b, tb);
  Tensor c = Tensor::empty(Shape{m, n}, DType::kF32);
  // sgemm wants ld >= the stored row even when that row is empty.
  kernels::sgemm(oa.transposed, ob.transposed, m, n, k, 1.0f, oa.data, std::max<std::int64_t>(oa.ld, 1), ob.data,
                 std::max<std::int64_t>(ob.ld, 1), 0.0f, c.data<float>(), std::max<std::int64_t>(n, 1));
  return c;
}

}  // namespace spool::kernels
