#include "spool/autodiff/ops/conv.h"

#include "spool/autodiff/ops/activation.h"
#include "spool/autodiff/ops/reference_f64.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool {
namespace {

using autodiff::GradContext;

Window2D geometry(const Tensor& input, const Tensor& filter, const Conv2DOptions& options) {
  kernels::conv2d_output_shape(input.shape(), filter.shape(), options);  // the kernel's shape checks and messages
  return window2d(input.shape(), filter.dim(0), filter.dim(1), options.stride_h(), options.stride_w(),
                  options.padding(), "conv2d");
}

Tensor conv2d_f64(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DOptions& options) {
  SPOOL_CHECK(filter.dtype() == DType::kF64 && (!bias.defined() || bias.dtype() == DType::kF64), InvalidArgument,
              "conv2d: input is f64, filter ", dtype_name(filter.dtype()));
  Tensor y = detail::conv2d_f64(input, filter, geometry(input, filter, options));
  if (bias.defined()) y = kernels::add(y, bias);
  if (options.activation() == Activation::kRelu) y = kernels::relu(y);
  if (options.activation() == Activation::kSigmoid) y = kernels::sigmoid(y);
  return y;
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DOptions& options) {
  SPOOL_GRAPH_OP(conv2d, input, filter, options);
  return conv2d(input, filter, Tensor(), options);
}

Tensor conv2d(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DOptions& options) {
  SPOOL_GRAPH_OP(conv2d, input, filter, bias, options);
  const bool f64 = input.dtype() == DType::kF64;
  Tensor y = f64 ? conv2d_f64(input, filter, bias, options) : kernels::conv2d(input, filter, bias, options);
  if (!f64 && (bias.defined() || options.activation() != Activation::kNone))
    graph::note_fused("conv2d" + std::string(bias.defined() ? "+bias" : "") +
                      (options.activation() != Activation::kNone ? "+" + activation_name(options.activation())
                                                                 : ""));
  if (autodiff::Recording rec{input, filter, bias})
    rec.record(y, [input, filter, y, options, f64](GradContext& g) {
      const Tensor dpre = detail::activation_gradient(y, g.dy(), options.activation());
      if (g.needs(0)) {
        g.dx(0) = f64 ? detail::conv2d_backward_input_f64(dpre, filter, geometry(input, filter, options))
                      : kernels::conv2d_backward_input(dpre, filter, input.shape(), options);
        autodiff::record_without_gradient(g.dx(0), {g.dy(), filter}, "conv2d's input gradient");
      }
      if (g.needs(1) || g.needs(2)) {
        kernels::Conv2DFilterGrads grads;
        if (f64) {
          grads.dfilter =
              detail::conv2d_backward_filter_f64(input, dpre, geometry(input, filter, options), filter.shape());
          if (g.needs(2)) grads.dbias = kernels::sum(dpre, {0, 1, 2});
        } else if (g.needs(2)) {
          grads = kernels::conv2d_backward_filter_and_bias(input, dpre, filter.shape(), options);
          graph::note_fused("conv2d_filter_grad+bias_grad");
        } else {
          grads.dfilter = kernels::conv2d_backward_filter(input, dpre, filter.shape(), options);
        }
        g.dx(1) = grads.dfilter;
        g.dx(2) = grads.dbias;
        autodiff::record_without_gradient(g.dx(1), {g.dy(), input}, "conv2d's filter gradient");
        if (g.dx(2).defined()) autodiff::record_without_gradient(g.dx(2), {g.dy()}, "conv2d's bias gradient");
      }
    });
  return y;
}

}  // namespace spool
