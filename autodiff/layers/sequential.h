// Sequential: a list of layers called in order, owning ONE VariableArena with every
// variable of the model, and summary() as Keras prints it.
//
//   layers::Sequential model;
//   model.add(layers::Conv2D(layers::Conv2DOptions(32, 3).activation("relu")))
//        .add(layers::MaxPooling2D())
//        .add(layers::Flatten())
//        .add(layers::Dense(layers::DenseOptions(10)));
//   model.build(Shape{28, 28, 1}, /*seed=*/42);       // per-example input shape
//   std::cout << model.summary();
//   Tensor logits = model(images, {.training = true}); // [N, 28, 28, 1] -> [N, 10]
//   // an optimizer: model.arena().flat() and gradients laid out alike
//
// Any callable Tensor(const Tensor&, const CallContext&) joins as a Lambda layer
// (add(fn)), so a model composes functions, layers and other models.
// Names: a layer without one gets Keras' "<type in snake case>" with "_1", "_2", ...
// for later ones of its kind in this model ("dense", "dense_1"); a duplicate name
// throws. Variables are "<layer>/<variable>".
// Initialisation is deterministic: layer i initialises from Generator(seed).fork(i),
// so the same seed gives the same weights, and adding a layer at the end changes no
// earlier layer's.
// Thread-safety: add and build run before use; a call runs on one thread at a time
// (BatchNormalization writes its moving statistics when training).
#pragma once

#include <concepts>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/autodiff/layers/core.h"
#include "spool/autodiff/layers/layer.h"
#include "spool/autodiff/variable.h"

namespace spool::layers {

class Sequential {
 public:
  explicit Sequential(std::string name = "sequential", DType dtype = DType::kF32);
  Sequential(const Sequential&) = delete;
  Sequential& operator=(const Sequential&) = delete;
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  Sequential& add(std::shared_ptr<Layer> layer);
  template <std::derived_from<Layer> L>
  Sequential& add(L layer) {
    return add(std::make_shared<L>(std::move(layer)));
  }
  // Any callable as a Lambda layer.
  Sequential& add(LayerFunction fn, std::string name = {});

  // Builds every layer for per-example input shape `input_shape`; once.
  void build(const Shape& input_shape, std::uint64_t seed);
  bool built() const { return built_; }

  // x [N, input_shape...] -> [N, output_shape...].
  Tensor operator()(const Tensor& x, const CallContext& context = {});

  const std::string& name() const { return name_; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  // The layer of that name; InvalidArgument listing the names when there is none.
  Layer& layer(const std::string& name) const;
  const Shape& input_shape() const;
  const Shape& output_shape() const;

  autodiff::VariableArena& arena() { return arena_; }
  const autodiff::VariableArena& arena() const { return arena_; }
  std::span<const autodiff::Variable> variables() const { return arena_.variables(); }
  std::vector<autodiff::Variable> trainable_variables() const { return arena_.trainable_variables(); }
  std::int64_t count_params() const;
  std::int64_t trainable_params() const;
  std::int64_t non_trainable_params() const { return count_params() - trainable_params(); }

  // The table tf.keras 2.x prints for a Sequential (the classic layout up to TF 2.8:
  // line length 65, columns ending at 29/55/65, a cell cut to fit, '_' rules between
  // rows; row counts plain, totals with thousands commas), one line per '\n'.
  std::string summary() const;
  void print_summary(std::ostream& out) const;

 private:
  void check_built(const char* what) const;

  std::string name_;
  autodiff::VariableArena arena_;
  std::vector<std::shared_ptr<Layer>> layers_;
  bool built_ = false;
  Shape input_shape_;
};

}  // namespace spool::layers
