// conv2d's Tensor-level entry points: shape checks with the shapes in the messages,
// contiguous copies of strided inputs, then the raw kernels of conv2d_forward.cc and
// conv2d_backward.cc.
// N batch, H,W spatial, C_in/C_out channels, KH,KW filter size.
#include "spool/tensor/kernels/conv2d.h"

namespace spool::kernels {

namespace {

void check_f32_4d(const Tensor& t, const char* op, const char* what) {
  SPOOL_CHECK(t.defined(), InvalidArgument, op, ": ", what, " is undefined");
  SPOOL_CHECK(t.dtype() == DType::kF32 && t.rank() == 4, InvalidArgument, op, ": ", what,
              " must be a 4-D f32 tensor, got ", dtype_name(t.dtype()), " ", t.shape().to_string());
}

// Checks input [N, H, W, C_in] against filter [KH, KW, C_in, C_out] and returns the
// window geometry.
Window2D conv_window(const Shape& input, const Shape& filter, const Conv2DOptions& o, const char* op) {
  SPOOL_CHECK(input.rank() == 4, InvalidArgument, op, ": input ", input.to_string(),
              " must be 4-D [batch, height, width, channels]");
  SPOOL_CHECK(filter.rank() == 4, InvalidArgument, op, ": filter ", filter.to_string(),
              " must be 4-D [height, width, in_channels, out_channels]");
  SPOOL_CHECK(input[3] == filter[2], InvalidArgument, op, ": input ", input.to_string(), " has ", input[3],
              " channels, filter ", filter.to_string(), " expects ", filter[2]);
  return window2d(input, filter[0], filter[1], o.stride_h(), o.stride_w(), o.padding(), op);
}

Shape output_shape(const Window2D& g, const Shape& filter) { return Shape{g.batch, g.out_h, g.out_w, filter[3]}; }

void check_grad(const Tensor& dy, const Shape& want, const Shape& input, const Conv2DOptions& o, const char* op) {
  check_f32_4d(dy, op, "gradient");
  SPOOL_CHECK(dy.shape() == want, InvalidArgument, op, ": gradient ", dy.shape().to_string(), " for input ",
              input.to_string(), " with stride ", o.stride_h(), "x", o.stride_w(), " and '",
              padding_name(o.padding()), "' padding should be ", want.to_string());
}

}  // namespace

Shape conv2d_output_shape(const Shape& input, const Shape& filter, const Conv2DOptions& options) {
  return output_shape(conv_window(input, filter, options, "conv2d"), filter);
}

Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DOptions& options) {
  return conv2d(input, filter, Tensor(), options);
}

Tensor conv2d(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DOptions& options) {
  check_f32_4d(input, "conv2d", "input");
  check_f32_4d(filter, "conv2d", "filter");
  const Window2D g = conv_window(input.shape(), filter.shape(), options, "conv2d");
  const std::int64_t c_out = filter.dim(3);
  Tensor bc;
  if (bias.defined()) {
    SPOOL_CHECK(bias.dtype() == DType::kF32 && bias.rank() == 1 && bias.dim(0) == c_out, InvalidArgument,
                "conv2d: bias ", dtype_name(bias.dtype()), " ", bias.shape().to_string(), " does not match filter ",
                filter.shape().to_string(), " (expected f32 [", c_out, "])");
    bc = bias.contiguous();
  }
  const Tensor xc = input.contiguous();
  const Tensor wc = filter.contiguous();
  Tensor y = Tensor::empty(output_shape(g, filter.shape()), DType::kF32);
  if (y.numel() == 0) return y;
  kernels::conv2d(g, c_out, xc.data<float>(), wc.data<float>(), bc.defined() ? bc.data<float>() : nullptr,
                  options.activation(), y.data<float>());
  return y;
}

Tensor conv2d_backward_input(const Tensor& dy, const Tensor& filter, const Shape& input_shape,
                             const Conv2DOptions& options) {
  check_f32_4d(filter, "conv2d_backward_input", "filter");
  const Window2D g = conv_window(input_shape, filter.shape(), options, "conv2d_backward_input");
  check_grad(dy, output_shape(g, filter.shape()), input_shape, options, "conv2d_backward_input");
  const Tensor dyc = dy.contiguous();
  const Tensor wc = filter.contiguous();
  Tensor dx = Tensor::zeros(input_shape, DType::kF32);
  if (dx.numel() == 0 || dy.numel() == 0) return dx;
  kernels::conv2d_backward_input(g, filter.dim(3), dyc.data<float>(), wc.data<float>(), dx.data<float>());
  return dx;
}

namespace {

Conv2DFilterGrads backward_filter(const Tensor& input, const Tensor& dy, const Shape& filter_shape,
                                  const Conv2DOptions& options, bool with_bias, const char* op) {
  check_f32_4d(input, op, "input");
  const Window2D g = conv_window(input.shape(), filter_shape, options, op);
  check_grad(dy, output_shape(g, filter_shape), input.shape(), options, op);
  const Tensor xc = input.contiguous();
  const Tensor dyc = dy.contiguous();
  Conv2DFilterGrads grads{Tensor::zeros(filter_shape, DType::kF32),
                          with_bias ? Tensor::zeros(Shape{filter_shape[3]}, DType::kF32) : Tensor()};
  if (dy.numel() == 0 || grads.dfilter.numel() == 0) {
    if (with_bias) grads.dbias = bias_grad(dy);
    return grads;
  }
  kernels::conv2d_backward_filter(g, filter_shape[3], xc.data<float>(), dyc.data<float>(),
                                  grads.dfilter.data<float>(), with_bias ? grads.dbias.data<float>() : nullptr);
  return grads;
}

}  // namespace

Tensor conv2d_backward_filter(const Tensor& input, const Tensor& dy, const Shape& filter_shape,
                              const Conv2DOptions& options) {
  return backward_filter(input, dy, filter_shape, options, false, "conv2d_backward_filter").dfilter;
}

Conv2DFilterGrads conv2d_backward_filter_and_bias(const Tensor& input, const Tensor& dy, const Shape& filter_shape,
                                                  const Conv2DOptions& options) {
  return backward_filter(input, dy, filter_shape, options, true, "conv2d_backward_filter_and_bias");
}

Tensor conv2d_backward_bias(const Tensor& dy) {
  check_f32_4d(dy, "conv2d_backward_bias", "gradient");
  return bias_grad(dy);
}

}  // namespace spool::kernels
