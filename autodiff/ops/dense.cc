#include "spool/autodiff/ops/dense.h"

#include "spool/autodiff/ops/activation.h"
#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/matmul.h"
#include "spool/autodiff/ops/reduce.h"
#include "spool/autodiff/ops/reference_f64.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/gemm.h"

namespace spool {
namespace {

using autodiff::GradContext;

// act(y) for the f64 path, out of place.
Tensor activate_f64(Tensor y, Activation activation) {
  if (activation == Activation::kRelu) return kernels::relu(y);
  if (activation == Activation::kSigmoid) return kernels::sigmoid(y);
  return y;
}

// dy · act'(y) from recorded ops, so that an outer tape differentiates it again.
Tensor recorded_activation_gradient(const Tensor& y, const Tensor& dy, Activation activation) {
  if (activation == Activation::kRelu) return mul(dy, kernels::greater(y, 0.0).cast(y.dtype()));
  if (activation == Activation::kSigmoid) return mul(dy, mul(y, sub(1.0, y)));
  return dy;
}

}  // namespace

Tensor dense(const Tensor& x, const Tensor& w, const Tensor& bias, Activation activation) {
  SPOOL_GRAPH_OP(dense, x, w, bias, activation);
  SPOOL_CHECK(x.rank() == 2 && w.rank() == 2 && x.dim(1) == w.dim(0), InvalidArgument, "dense: x ",
              x.shape().to_string(), " and kernel ", w.shape().to_string(), " do not multiply ([N, K] · [K, M])");
  SPOOL_CHECK(!bias.defined() || (bias.rank() == 1 && bias.dim(0) == w.dim(1)), InvalidArgument, "dense: bias ",
              bias.shape().to_string(), " does not match kernel ", w.shape().to_string());
  const bool f64 = x.dtype() == DType::kF64;
  Tensor y;
  if (f64) {
    y = detail::matmul_f64(x, w, false, false);
    if (bias.defined()) y = kernels::add(y, bias);
    y = activate_f64(y, activation);
  } else {
    y = kernels::matmul(x, w);  // a fresh contiguous [N, M]: the epilogue runs in place
    const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
    kernels::bias_activation(y.data<float>(), b.defined() ? b.data<float>() : nullptr, activation, y.dim(0), y.dim(1),
                             y.data<float>());
    if (b.defined() || activation != Activation::kNone)
      graph::note_fused("matmul" + std::string(b.defined() ? "+bias" : "") +
                        (activation != Activation::kNone ? "+" + activation_name(activation) : ""));
  }
  if (autodiff::Recording rec{x, w, bias})
    rec.record(y, [x, w, y, activation, has_bias = bias.defined()](GradContext& g) {
      const bool fused = y.dtype() == DType::kF32 && !autodiff::is_recording();
      const Tensor dpre = fused ? detail::activation_gradient(y, g.dy(), activation)
                                : recorded_activation_gradient(y, g.dy(), activation);
      if (g.needs(0)) g.dx(0) = matmul(dpre, w, false, true);
      if (g.needs(1)) g.dx(1) = matmul(x, dpre, true, false);
      if (has_bias && g.needs(2)) g.dx(2) = fused ? kernels::bias_grad(dpre) : sum(dpre, {0});
      if (fused && activation != Activation::kNone) graph::note_fused(activation_name(activation) + "_grad");
    });
  return y;
}

}  // namespace spool
