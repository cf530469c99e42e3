#include "spool/autodiff/layers/conv2d.h"

#include "spool/autodiff/ops/conv.h"

namespace spool::layers {

Shape windowed_shape(const Shape& input_shape, std::int64_t channels_out, std::int64_t kernel_h, std::int64_t kernel_w,
                     std::int64_t stride_h, std::int64_t stride_w, Padding padding, const std::string& who) {
  SPOOL_CHECK(input_shape.rank() == 3, InvalidArgument, who, ": needs images [H, W, C] per example (input shape ",
              batch_shape_string(input_shape), ")");
  SPOOL_CHECK(kernel_h > 0 && kernel_w > 0 && stride_h > 0 && stride_w > 0, InvalidArgument, who, ": window ", kernel_h,
              "x", kernel_w, " and strides ", stride_h, "x", stride_w, " must be positive");
  const WindowAxis h = window_axis(input_shape[0], kernel_h, stride_h, padding);
  const WindowAxis w = window_axis(input_shape[1], kernel_w, stride_w, padding);
  SPOOL_CHECK(h.out > 0 && w.out > 0, InvalidArgument, who, ": window ", kernel_h, "x", kernel_w, " with ",
              padding_name(padding), " padding does not fit input shape ", batch_shape_string(input_shape));
  return Shape{h.out, w.out, channels_out};
}

Conv2D::Conv2D(Conv2DOptions options) : Layer(options.name()), options_(std::move(options)) {
  SPOOL_CHECK(options_.filters() > 0, InvalidArgument, "Conv2D: filters must be positive, got ", options_.filters());
}

Shape Conv2D::build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) {
  const Conv2DOptions& o = options_;
  const Shape out = windowed_shape(input_shape, o.filters(), o.kernel_h(), o.kernel_w(), o.stride_h(), o.stride_w(),
                                   o.padding(), type() + " " + quoted(name()));
  const Shape kernel_shape{o.kernel_h(), o.kernel_w(), input_shape[2], o.filters()};
  kernel_ = add_variable(arena, "kernel", o.kernel_initializer()(kernel_shape, gen));
  if (o.use_bias()) bias_ = add_variable(arena, "bias", o.bias_initializer()(Shape{o.filters()}, gen));
  return out;
}

Tensor Conv2D::call(const Tensor& x, const CallContext& /*context*/) const {
  check_float_input(x);
  const Conv2DOptions& o = options_;
  const auto conv = spool::Conv2DOptions()
                        .stride(o.stride_h(), o.stride_w())
                        .padding(o.padding())
                        .activation(o.activation().fused());
  const Tensor bias = bias_.defined() ? bias_.value() : Tensor();
  return o.activation().apply_unfused(conv2d(x, kernel_, bias, conv));
}

}  // namespace spool::layers
