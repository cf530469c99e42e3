#include "spool/autodiff/ops/matmul.h"

#include "spool/autodiff/ops/reference_f64.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/gemm.h"

namespace spool {

using autodiff::GradContext;

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  SPOOL_GRAPH_OP(matmul, a, b, transpose_a, transpose_b);
  Tensor y = a.dtype() == DType::kF64 && b.dtype() == DType::kF64 ? detail::matmul_f64(a, b, transpose_a, transpose_b)
                                                                  : kernels::matmul(a, b, transpose_a, transpose_b);
  if (autodiff::Recording rec{a, b})
    rec.record(y, [a, b, ta = transpose_a, tb = transpose_b](GradContext& g) {
      const Tensor& dy = g.dy();
      if (g.needs(0)) {  // y = op(a)·op(b): da from dy·op(b)ᵀ, transposed back when a was
        g.dx(0) = ta ? matmul(b, dy, tb, true) : matmul(dy, b, false, !tb);
      }
      if (g.needs(1)) {  // op(a)ᵀ·dy, transposed back when b was
        g.dx(1) = tb ? matmul(dy, a, true, ta) : matmul(a, dy, !ta, false);
      }
    });
  return y;
}

}  // namespace spool
