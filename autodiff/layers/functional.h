// Keras' functional API: Input(shape) gives a symbolic tensor, calling layers on
// symbolic tensors (connect) draws a graph of layers, and FunctionalModel(inputs, outputs)
// — keras.Model(inputs, outputs) — makes the graph a Model (model.h): several inputs
// and outputs, branches, residual adds.
//
//   auto in = layers::Input(Shape{8});
//   auto h = layers::connect(layers::Dense(layers::DenseOptions(16).activation("relu")), in);
//   auto branch = layers::connect(layers::Dense(layers::DenseOptions(16)), h);
//   auto sum = layers::connect(layers::Add(), {h, branch});              // residual add
//   auto out = layers::connect(layers::Dense(layers::DenseOptions(4)), sum);
//   layers::FunctionalModel model(in, out);           // named "model"
//   model.build(/*seed=*/1);                          // for the Inputs' shapes
//   Tensor y = model(x, {.training = true});           // x [N, 8] -> [N, 4]
//   // a model of two inputs and two outputs takes and gives lists:
//   // std::vector<Tensor> ys = two_headed.infer({images, tags});
//
// connect takes the layer (by value, or a shared_ptr to keep a handle to it) and returns
// its symbolic output; nothing is computed or built until the model is. (Not "apply":
// for a shared_ptr argument, argument-dependent lookup would pick std::apply.) A layer is
// called once per graph (Keras' shared layers are not supported) and belongs to one
// model. The model's layers() are in Keras' order: by depth from the inputs, ties in the
// order a depth-first walk from the outputs first meets them; it calls them in that
// order, and layer i initialises from Generator(seed).fork(i). Unnamed layers get Keras'
// names in the order they were applied ("dense", "dense_1"; inputs "input_1",
// "input_2"). An output that depends on an Input not given as a model input throws.
// summary(): Keras' functional table with "Connected to" ("dense[0][0]", one inbound
// per line), or Sequential's table when the graph is a chain, as Keras decides.
// Thread-safety: symbolic tensors are immutable and may be shared; connect and Input may
// run on any thread. The model: as Model.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spool/autodiff/layers/layer.h"
#include "spool/autodiff/layers/model.h"

namespace spool::layers {

namespace detail {
struct SymbolicNode;
}

// Keras' KerasTensor: the symbolic output of a layer in a graph. A cheap handle.
class SymbolicTensor {
 public:
  // The layer that makes it (an InputLayer for an Input).
  const std::shared_ptr<Layer>& layer() const;

 private:
  friend SymbolicTensor Input(Shape shape, std::string name);
  friend SymbolicTensor connect(std::shared_ptr<Layer> layer, std::vector<SymbolicTensor> inputs);
  friend class FunctionalModel;
  explicit SymbolicTensor(std::shared_ptr<const detail::SymbolicNode> node) : node_(std::move(node)) {}

  std::shared_ptr<const detail::SymbolicNode> node_;
};

// The layer behind Input(): checks its input's per-example shape and passes it on (any
// dtype: integer ids may feed an Embedding).
class InputLayer : public Layer {
 public:
  explicit InputLayer(Shape shape, std::string name = {});
  std::string type() const override { return "InputLayer"; }
  const Shape& shape() const { return shape_; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;

 private:
  Shape shape_;
};

// keras.Input: a model input of per-example shape `shape`.
SymbolicTensor Input(Shape shape, std::string name = {});

// Keras' layer(inputs) on symbolic tensors: a list for merge layers (Add, Concatenate).
SymbolicTensor connect(std::shared_ptr<Layer> layer, std::vector<SymbolicTensor> inputs);
SymbolicTensor connect(std::shared_ptr<Layer> layer, const SymbolicTensor& input);
template <std::derived_from<Layer> L>
SymbolicTensor connect(L layer, std::vector<SymbolicTensor> inputs) {
  return connect(std::shared_ptr<Layer>(std::make_shared<L>(std::move(layer))), std::move(inputs));
}
template <std::derived_from<Layer> L>
SymbolicTensor connect(L layer, const SymbolicTensor& input) {
  return connect(std::shared_ptr<Layer>(std::make_shared<L>(std::move(layer))), input);
}

class FunctionalModel : public Model {
 public:
  FunctionalModel(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                  std::string name = "model", DType dtype = DType::kF32);
  FunctionalModel(const SymbolicTensor& input, const SymbolicTensor& output, std::string name = "model",
                  DType dtype = DType::kF32);
  FunctionalModel(FunctionalModel&&) = default;
  FunctionalModel& operator=(FunctionalModel&&) = default;

  std::string type() const override { return "Functional"; }

  using Model::build;
  // Builds for the shapes the Inputs declared.
  void build(std::uint64_t seed);

  std::string summary() const override;

 protected:
  std::vector<Shape> build_layers(const std::vector<Shape>& input_shapes, const Generator& root) override;
  std::vector<Tensor> call_list(const std::vector<Tensor>& inputs, const CallContext& context) const override;

 private:
  std::vector<std::vector<std::size_t>> sources_;  // per layer: the layers whose outputs it takes
  std::vector<std::size_t> inputs_, outputs_;       // the layers of the model's inputs and outputs
  std::vector<Shape> input_shapes_declared_;
  bool sequential_like_ = false;  // a chain: Keras prints it in Sequential's layout
};

}  // namespace spool::layers
