#include "spool/autodiff/ops/activation.h"

#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/math.h"
#include "spool/autodiff/ops/reduce.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
#include "spool/tensor/kernels/softmax.h"

namespace spool {
namespace {

using autodiff::GradContext;
using autodiff::Recording;

// The fused f32 kernels may serve a backward only when no tape would record it.
bool fused(const Tensor& y) { return y.dtype() == DType::kF32 && !autodiff::is_recording(); }

}  // namespace

Tensor detail::activation_gradient(const Tensor& y, const Tensor& dy, Activation activation) {
  if (activation == Activation::kNone) return dy;
  if (y.dtype() == DType::kF64)
    return activation == Activation::kRelu ? kernels::mul(dy, kernels::greater(y, 0.0).cast(DType::kF64))
                                           : kernels::mul(dy, kernels::mul(y, kernels::sub(1.0, y)));
  const Tensor yc = y.contiguous(), dyc = dy.contiguous();
  Tensor dx = Tensor::empty(y.shape(), DType::kF32);
  kernels::activation_backward(yc.data<float>(), dyc.data<float>(), activation, y.numel(), dx.data<float>());
  return dx;
}

Tensor relu(const Tensor& x) {
  SPOOL_GRAPH_OP(relu, x);
  Tensor y = kernels::relu(x);
  if (Recording rec{x})
    rec.record(y, [y](GradContext& g) {
      g.dx(0) = fused(y) ? detail::activation_gradient(y, g.dy(), Activation::kRelu)
                         : mul(g.dy(), kernels::greater(y, 0.0).cast(y.dtype()));
    });
  return y;
}

Tensor sigmoid(const Tensor& x) {
  SPOOL_GRAPH_OP(sigmoid, x);
  Tensor y = kernels::sigmoid(x);
  if (Recording rec{x})
    rec.record(y, [y](GradContext& g) {
      g.dx(0) = fused(y) ? detail::activation_gradient(y, g.dy(), Activation::kSigmoid)
                         : mul(g.dy(), mul(y, sub(1.0, y)));
    });
  return y;
}

Tensor tanh(const Tensor& x) {
  SPOOL_GRAPH_OP(tanh, x);
  Tensor y = kernels::tanh(x);
  if (Recording rec{x})
    rec.record(y, [y](GradContext& g) { g.dx(0) = mul(g.dy(), sub(1.0, mul(y, y))); });
  return y;
}

Tensor softmax(const Tensor& x) {
  SPOOL_GRAPH_OP(softmax, x);
  Tensor y;
  if (x.dtype() == DType::kF64) {
    SPOOL_CHECK(x.rank() >= 1, InvalidArgument, "softmax: needs rank >= 1, got ", x.shape().to_string());
    const Tensor e = kernels::exp(kernels::sub(x, kernels::max(x, {-1}, true)));
    y = kernels::div(e, kernels::sum(e, {-1}, true));
  } else {
    y = kernels::softmax(x);
  }
  if (Recording rec{x})
    rec.record(y, [y](GradContext& g) {  // dx = y · (dy − Σ dy·y)
      g.dx(0) = fused(y) ? kernels::softmax_backward(y, g.dy())
                         : mul(y, sub(g.dy(), sum(mul(g.dy(), y), {-1}, true)));
    });
  return y;
}

Tensor log_softmax(const Tensor& x) {
  SPOOL_GRAPH_OP(log_softmax, x);
  Tensor y;
  if (x.dtype() == DType::kF64) {
    SPOOL_CHECK(x.rank() >= 1, InvalidArgument, "log_softmax: needs rank >= 1, got ", x.shape().to_string());
    y = kernels::sub(x, kernels::logsumexp(x, {-1}, true));
  } else {
    y = kernels::log_softmax(x);
  }
  if (Recording rec{x})
    rec.record(y, [y](GradContext& g) {  // dx = dy − exp(y) · Σ dy
      g.dx(0) = fused(y) ? kernels::log_softmax_backward(y, g.dy())
                         : sub(g.dy(), mul(exp(y), sum(g.dy(), {-1}, true)));
    });
  return y;
}

}  // namespace spool
