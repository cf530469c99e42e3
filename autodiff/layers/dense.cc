#include "spool/autodiff/layers/dense.h"

#include "spool/autodiff/ops/dense.h"
#include "spool/autodiff/ops/shape.h"

namespace spool::layers {

Dense::Dense(DenseOptions options) : Layer(options.name()), options_(std::move(options)) {
  SPOOL_CHECK(options_.units() > 0, InvalidArgument, "Dense: units must be positive, got ", options_.units());
}

Shape Dense::build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) {
  if (input_shape.rank() < 1 || input_shape[-1] < 1)
    shape_error(input_shape, "needs a last axis of at least 1 feature");
  const std::int64_t in = input_shape[-1], units = options_.units();
  kernel_ = add_variable(arena, "kernel", options_.kernel_initializer()(Shape{in, units}, gen));
  if (options_.use_bias()) bias_ = add_variable(arena, "bias", options_.bias_initializer()(Shape{units}, gen));
  std::vector<std::int64_t> out = input_shape.dims();
  out.back() = units;
  return Shape(std::move(out));
}

Tensor Dense::call(const Tensor& x, const CallContext& /*context*/) const {
  check_float_input(x);
  const LayerActivation& act = options_.activation();
  const Tensor bias = bias_.defined() ? bias_.value() : Tensor();
  if (x.rank() == 2) return act.apply_unfused(dense(x, kernel_, bias, act.fused()));
  const Tensor rows = reshape(x, {-1, x.dim(-1)});
  const Tensor y = act.apply_unfused(dense(rows, kernel_, bias, act.fused()));
  std::vector<std::int64_t> dims = x.shape().dims();
  dims.back() = options_.units();
  return reshape(y, dims);
}

}  // namespace spool::layers
