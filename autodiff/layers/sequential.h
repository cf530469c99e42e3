// Sequential: a Model (model.h) whose layers are called in order, as keras.Sequential.
//
//   layers::Sequential model;
//   model.add(layers::Conv2D(layers::Conv2DOptions(32, 3).activation("relu")))
//        .add(layers::MaxPooling2D())
//        .add(layers::Flatten())
//        .add(layers::Dense(layers::DenseOptions(10)));
//   model.build(Shape{28, 28, 1}, /*seed=*/42);       // per-example input shape
//   std::cout << model.summary();
//   Tensor logits = model(images, {.training = true}); // [N, 28, 28, 1] -> [N, 10]
//   Tensor served = model.infer(images);               // const, thread-safe inference
//   // an optimizer: model.arena().flat() and gradients laid out alike
//
// Any callable Tensor(const Tensor&, const CallContext&) joins as a Lambda layer
// (add(fn)), so a model composes functions, layers and other models.
// Names, variables, the arena and summary() are Model's: a layer without a name gets
// Keras' "<type in snake case>" with "_1", "_2", ... ("dense", "dense_1").
// Initialisation is deterministic: layer i initialises from Generator(seed).fork(i),
// so the same seed gives the same weights, and adding a layer at the end changes no
// earlier layer's. build() chains the layers' shapes (no trace).
// Thread-safety: as Model — add and build run before use; training calls on one thread
// at a time; infer from any number of threads.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <vector>

#include "spool/autodiff/layers/core.h"
#include "spool/autodiff/layers/layer.h"
#include "spool/autodiff/layers/model.h"

namespace spool::layers {

class Sequential : public Model {
 public:
  explicit Sequential(std::string name = "sequential", DType dtype = DType::kF32);
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  std::string type() const override { return "Sequential"; }

  Sequential& add(std::shared_ptr<Layer> layer);
  template <std::derived_from<Layer> L>
  Sequential& add(L layer) {
    return add(std::make_shared<L>(std::move(layer)));
  }
  // Any callable as a Lambda layer.
  Sequential& add(LayerFunction fn, std::string name = {});

 protected:
  std::vector<Shape> build_layers(const std::vector<Shape>& input_shapes, const Generator& root) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;
};

}  // namespace spool::layers
