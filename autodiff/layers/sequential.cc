#include "spool/autodiff/layers/sequential.h"

namespace spool::layers {

Sequential::Sequential(std::string name, DType dtype) : Model(std::move(name), dtype) {}

Sequential& Sequential::add(std::shared_ptr<Layer> layer) {
  add_layer(std::move(layer));
  return *this;
}

Sequential& Sequential::add(LayerFunction fn, std::string name) {
  return add(std::make_shared<Lambda>(std::move(fn), std::move(name)));
}

std::vector<Shape> Sequential::build_layers(const std::vector<Shape>& input_shapes, const Generator& root) {
  SPOOL_CHECK(input_shapes.size() == 1, InvalidArgument, type(), " ", quoted(name()), ": takes one input, got ",
              input_shapes.size(), " input shapes");
  Shape shape = input_shapes[0];
  for (std::size_t i = 0; i < layers().size(); ++i) {
    Generator gen = root.fork(i);
    shape = layers()[i]->build(shape, arena(), gen);
  }
  return {shape};
}

Tensor Sequential::call(const Tensor& x, const CallContext& context) const {
  Tensor y = x;
  for (const auto& layer : layers()) y = (*layer)(y, context);
  return y;
}

}  // namespace spool::layers
