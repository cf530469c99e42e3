#include "spool/autodiff/layers/pooling.h"

#include "spool/autodiff/layers/conv2d.h"
#include "spool/autodiff/ops/pool.h"
#include "spool/autodiff/ops/reduce.h"

namespace spool::layers {

Shape Pooling2D::build_layer(const Shape& input_shape, autodiff::VariableArena& /*arena*/, Generator& /*gen*/) {
  const Pool2DOptions o = options_.kernel_options();
  const std::int64_t channels = input_shape.rank() == 3 ? input_shape[2] : 0;
  return windowed_shape(input_shape, channels, o.window_h(), o.window_w(), o.stride_h(), o.stride_w(), o.padding(),
                        type() + " " + quoted(name()));
}

Tensor MaxPooling2D::call(const Tensor& x, const CallContext& /*context*/) const {
  return max_pool2d(x, options_.kernel_options());
}

Tensor AveragePooling2D::call(const Tensor& x, const CallContext& /*context*/) const {
  return avg_pool2d(x, options_.kernel_options());
}

Shape GlobalAveragePooling2D::build_layer(const Shape& input_shape, autodiff::VariableArena& /*arena*/,
                                          Generator& /*gen*/) {
  if (input_shape.rank() != 3) shape_error(input_shape, "needs images [H, W, C] per example");
  return Shape{input_shape[2]};
}

Tensor GlobalAveragePooling2D::call(const Tensor& x, const CallContext& /*context*/) const {
  return mean(x, {1, 2});
}

}  // namespace spool::layers
