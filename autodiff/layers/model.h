// Model: layers with ONE VariableArena for all their variables, as keras.Model — the
// base of Sequential, of FunctionalModel (Keras' Model(inputs, outputs)) and of models
// written as a subclass with a call of their own:
//
//   class Residual : public layers::Model {
//    public:
//     Residual()
//         : Model("residual"),
//           hidden_(add_layer(layers::Dense(layers::DenseOptions(8).activation("relu")))),
//           head_(add_layer(layers::Dense(layers::DenseOptions(4)))) {}
//
//    protected:
//     Tensor call(const Tensor& x, const layers::CallContext& context) const override {
//       return (*head_)(x + (*hidden_)(x, context), context);
//     }
//
//    private:
//     std::shared_ptr<layers::Dense> hidden_, head_;
//   };
//   Residual model;
//   model.build(Shape{8}, /*seed=*/1);             // per-example input shape
//   Tensor y = model(x, {.training = true});        // [N, 8] -> [N, 4]
//   std::vector<autodiff::Variable> vars = model.trainable_variables();
//
// Build: build(shapes, seed) builds every layer for the per-example input shapes; layer
// i (in layers() order) initialises from Generator(seed).fork(i), so the same seed gives
// the same weights. A subclass's layers are built by tracing its call once on zeros of
// one example in the arena's dtype (training = false, recorded by no tape): each layer
// builds on its first call; a layer the call does not use is an error. A subclass whose
// input the trace cannot fake (integer ids for an Embedding) overrides build_layers.
// Names: a layer without one gets Keras' "<type in snake case>", then "_1", "_2", ...
// for later ones of its kind in this model; a duplicate name throws. Variables are
// "<layer>/<variable>".
//
// Serving: infer() is the call a server makes — const, training = false (Dropout is
// the identity, BatchNormalization uses its moving statistics and updates nothing), and
// safe from several threads at once on one built model, each getting exactly the
// numbers a lone call gives. operator() is the training call: non-const, one thread,
// nothing else running (BatchNormalization writes its moving statistics). A subclass's
// call is const so that infer can run it; it must change nothing of its own when
// training is false (the layers it calls change state in training only, and a training
// call reaches them only through the non-const operator()).
// Thread-safety: build, trainable, load_weights and training calls run on one thread
// with nothing else; infer, summary and the accessors may run concurrently.
#pragma once

#include <concepts>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/autodiff/layers/layer.h"
#include "spool/autodiff/variable.h"

namespace spool::layers {

class Model {
 public:
  explicit Model(std::string name = "model", DType dtype = DType::kF32);
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // Keras' class name, as messages print it: "Model", "Sequential", "Functional".
  virtual std::string type() const { return "Model"; }

  // Builds every layer for per-example input shape(s); once.
  void build(const Shape& input_shape, std::uint64_t seed);
  void build(const std::vector<Shape>& input_shapes, std::uint64_t seed);
  bool built() const { return built_; }

  // The training call (any CallContext): x [N, input_shape...] -> [N, output_shape...].
  Tensor operator()(const Tensor& x, const CallContext& context = {});
  // Several inputs and outputs, in the model's order.
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs, const CallContext& context = {});
  // The serving call: training = false, const, concurrent calls allowed (see above).
  Tensor infer(const Tensor& x) const;
  std::vector<Tensor> infer(const std::vector<Tensor>& inputs) const;

  const std::string& name() const { return name_; }
  const std::vector<std::shared_ptr<Layer>>& layers() const { return layers_; }
  // The layer of that name; InvalidArgument listing the names when there is none.
  Layer& layer(const std::string& name) const;
  // A one-input (one-output) model's per-example shape; the lists have every one.
  const Shape& input_shape() const;
  const Shape& output_shape() const;
  const std::vector<Shape>& input_shapes() const;
  const std::vector<Shape>& output_shapes() const;

  autodiff::VariableArena& arena() { return arena_; }
  const autodiff::VariableArena& arena() const { return arena_; }
  std::span<const autodiff::Variable> variables() const { return arena_.variables(); }
  std::vector<autodiff::Variable> trainable_variables() const { return arena_.trainable_variables(); }
  std::int64_t count_params() const;
  std::int64_t trainable_params() const;
  std::int64_t non_trainable_params() const { return count_params() - trainable_params(); }

  // Keras' model.trainable: freezes (false) or unfreezes (true) every layer; see
  // Layer::trainable.
  void trainable(bool trainable);

  // Keras' table (summary.h): the Sequential layout; FunctionalModel adds "Connected to".
  virtual std::string summary() const;
  void print_summary(std::ostream& out) const;

  // Every variable (trainable or not) to DIR/checkpoint.tensors, and back, matched by
  // name (checkpoint.h: save_checkpoint / restore_checkpoint without an optimizer).
  void save_weights(const std::string& dir) const;
  void load_weights(const std::string& dir);

 protected:
  // Registers a layer (a subclass does it in its constructor): names it, and its
  // variables land in this model's arena when it is built. Before build only.
  std::shared_ptr<Layer> add_layer(std::shared_ptr<Layer> layer);
  template <std::derived_from<Layer> L>
  std::shared_ptr<L> add_layer(L layer) {
    auto owned = std::make_shared<L>(std::move(layer));
    add_layer(std::shared_ptr<Layer>(owned));
    return owned;
  }

  // Builds the layers for the input shapes, layer i from root.fork(i); returns the
  // per-example output shapes. The default traces call_list (see above).
  virtual std::vector<Shape> build_layers(const std::vector<Shape>& input_shapes, const Generator& root);
  // The forward pass: a subclass overrides call (one tensor in and out) or call_list
  // (several). The default call_list runs call; the default call throws.
  virtual Tensor call(const Tensor& x, const CallContext& context) const;
  virtual std::vector<Tensor> call_list(const std::vector<Tensor>& inputs, const CallContext& context) const;

  // InvalidArgument "<type> '<name>': <what> before build()" unless built.
  void check_built(const char* what) const;

 private:
  std::string name_;
  autodiff::VariableArena arena_;
  std::vector<std::shared_ptr<Layer>> layers_;
  bool built_ = false;
  std::vector<Shape> input_shapes_, output_shapes_;
};

}  // namespace spool::layers
