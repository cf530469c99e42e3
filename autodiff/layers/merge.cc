#include "spool/autodiff/layers/merge.h"

#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/shape.h"

namespace spool::layers {
namespace {

// "(None, 4), (None, 1, 4)": every input shape, for messages.
std::string shapes_string(const std::vector<Shape>& shapes) {
  std::string out;
  for (const Shape& s : shapes) out += (out.empty() ? "" : ", ") + batch_shape_string(s);
  return out;
}

}  // namespace

Shape MergeLayer::build_layer(const Shape& input_shape, autodiff::VariableArena& /*arena*/, Generator& /*gen*/) {
  shape_error(input_shape, "takes a list of at least 2 inputs, got one tensor");
}

Tensor MergeLayer::call(const Tensor& x, const CallContext& /*context*/) const {
  SPOOL_THROW(InvalidArgument, type(), " ", quoted(name()), ": takes a list of at least 2 inputs, got one tensor ",
              x.shape().to_string());
}

Shape MergeLayer::build_list(const std::vector<Shape>& input_shapes, autodiff::VariableArena& /*arena*/,
                             Generator& /*gen*/) {
  SPOOL_CHECK(input_shapes.size() >= 2, InvalidArgument, type(), " ", quoted(name()),
              ": takes a list of at least 2 inputs, got ", input_shapes.size());
  return merged_shape(input_shapes);
}

Shape Add::merged_shape(const std::vector<Shape>& input_shapes) const {
  std::vector<std::int64_t> out = input_shapes[0].dims();
  for (const Shape& s : input_shapes) {
    bool fits = s.rank() == static_cast<std::int64_t>(out.size());
    for (std::size_t a = 0; fits && a < out.size(); ++a) {
      const std::int64_t d = s.dims()[a];
      if (d != out[a] && d != 1 && out[a] != 1) fits = false;
      if (fits && out[a] == 1) out[a] = d;
    }
    SPOOL_CHECK(fits, InvalidArgument, type(), " ", quoted(name()), ": input shapes ", shapes_string(input_shapes),
                " do not broadcast together");
  }
  return Shape(std::move(out));
}

Tensor Add::call_list(const std::vector<Tensor>& inputs, const CallContext& /*context*/) const {
  Tensor sum = inputs[0];
  for (std::size_t i = 1; i < inputs.size(); ++i) sum = sum + inputs[i];
  return sum;
}

Concatenate::Concatenate(std::int64_t axis, std::string name) : MergeLayer(std::move(name)), axis_(axis) {}

std::int64_t Concatenate::example_axis(const Shape& first, std::int64_t rank) const {
  const std::int64_t a = axis_ < 0 ? axis_ + rank + 1 : axis_;  // Keras counts the batch axis
  if (a < 1 || a > rank) {
    shape_error(first, "axis " + std::to_string(axis_) + " is not a per-example axis of a rank-" +
                           std::to_string(rank + 1) + " batch (0, the batch axis, cannot be joined)");
  }
  return a - 1;
}

Shape Concatenate::merged_shape(const std::vector<Shape>& input_shapes) const {
  const std::int64_t rank = input_shapes[0].rank();
  const std::int64_t a = example_axis(input_shapes[0], rank);
  std::vector<std::int64_t> out = input_shapes[0].dims();
  out[static_cast<std::size_t>(a)] = 0;
  for (const Shape& s : input_shapes) {
    bool fits = s.rank() == rank;
    for (std::int64_t i = 0; fits && i < rank; ++i) fits = i == a || s[i] == out[static_cast<std::size_t>(i)];
    SPOOL_CHECK(fits, InvalidArgument, type(), " ", quoted(name()), ": input shapes ", shapes_string(input_shapes),
                " differ on an axis other than the joined one (axis ", axis_, ")");
    out[static_cast<std::size_t>(a)] += s[a];
  }
  return Shape(std::move(out));
}

Tensor Concatenate::call_list(const std::vector<Tensor>& inputs, const CallContext& /*context*/) const {
  return concat(inputs, example_axis(input_shapes()[0], input_shapes()[0].rank()) + 1);
}

}  // namespace spool::layers
