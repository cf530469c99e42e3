#include "spool/autodiff/layers/core.h"

#include <vector>

#include "spool/autodiff/ops/dropout.h"
#include "spool/autodiff/ops/shape.h"

namespace spool::layers {

Shape Flatten::build_layer(const Shape& input_shape, autodiff::VariableArena& /*arena*/, Generator& /*gen*/) {
  return Shape{input_shape.numel()};
}

Tensor Flatten::call(const Tensor& x, const CallContext& /*context*/) const {
  return reshape(x, {x.dim(0), output_shape()[0]});
}

Dropout::Dropout(double rate, std::string name) : Layer(std::move(name)), rate_(rate) {
  SPOOL_CHECK(rate >= 0 && rate < 1, InvalidArgument, "Dropout: rate ", rate, " outside [0, 1)");
}

Shape Dropout::build_layer(const Shape& input_shape, autodiff::VariableArena& /*arena*/, Generator& /*gen*/) {
  return input_shape;
}

Tensor Dropout::call(const Tensor& x, const CallContext& context) const {
  if (!context.training || rate_ == 0) return x;
  SPOOL_CHECK(context.rng != nullptr, InvalidArgument, type(), " ", quoted(name()),
              ": a training call needs CallContext::rng, the Generator that draws the dropout mask");
  return dropout(x, rate_, *context.rng);
}

Lambda::Lambda(LayerFunction fn, std::string name) : Layer(std::move(name)), fn_(std::move(fn)) {
  SPOOL_CHECK(fn_ != nullptr, InvalidArgument, "Lambda: needs a function");
}

Shape Lambda::build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& /*gen*/) {
  std::vector<std::int64_t> dims{1};
  dims.insert(dims.end(), input_shape.dims().begin(), input_shape.dims().end());
  const Tensor probe = Tensor::zeros(Shape(std::move(dims)), arena.dtype());
  const Tensor y = fn_(probe, CallContext{});
  if (y.rank() < 1 || y.dim(0) != 1) shape_error(input_shape, "returned " + y.shape().to_string() + " for one example");
  return Shape(std::vector<std::int64_t>(y.shape().dims().begin() + 1, y.shape().dims().end()));
}

Tensor Lambda::call(const Tensor& x, const CallContext& context) const { return fn_(x, context); }

}  // namespace spool::layers
