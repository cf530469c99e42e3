// Layer: the interface every layer implements (Keras semantics and names), the call
// context, activations and initialisers by their Keras names.
//
//   layers::Dense dense(layers::DenseOptions(128).activation("relu"));
//   autodiff::VariableArena arena;
//   Generator gen(42);
//   dense.build(Shape{784}, arena, gen);            // per-example shape: no batch axis
//   Tensor h = dense(x, {.training = true});         // x [N, 784] -> [N, 128]
//
// Shapes: build() takes and layers report PER-EXAMPLE shapes (Keras' input_shape
// without the batch axis); calls take and return tensors with a leading batch axis of
// any size. A call whose input does not match the built shape throws InvalidArgument
// naming the layer and both shapes.
// Variables live in the arena given to build() (a model gives its own), named
// "<layer>/<variable>" as Keras: "dense/kernel", "batch_normalization/moving_mean".
// Building a layer twice throws: a layer belongs to one model. Inside a model a layer
// may be built by its first call (Model::build traces a subclass's call that way).
// trainable(false) freezes a layer as Keras' layer.trainable = False: its variables
// leave trainable_variables(), tapes stop watching them, summaries count them as
// non-trainable, and BatchNormalization runs in inference mode.
//
// Thread-safety: a call with training = false changes nothing (call() is const), so
// several threads may call one built layer for inference at once; a training call
// (BatchNormalization writes its moving statistics), build and trainable() run on one
// thread with nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spool/autodiff/variable.h"
#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"

namespace spool::layers {

// What a call may depend on besides its input.
struct CallContext {
  bool training = false;     // Dropout drops, BatchNormalization uses and updates batch statistics
  Generator* rng = nullptr;  // Dropout's masks in training (required then)
};

// A Keras activation by name: "relu", "sigmoid", "tanh", "softmax", or "linear"/""
// (none). An unknown name throws InvalidArgument listing the known ones.
class LayerActivation {
 public:
  LayerActivation() = default;
  LayerActivation(const char* name) : LayerActivation(std::string(name)) {}  // NOLINT(google-explicit-constructor)
  LayerActivation(const std::string& name);                                   // NOLINT(google-explicit-constructor)
  const std::string& name() const { return name_; }
  // The part a kernel fuses into its epilogue (relu, sigmoid), else kNone.
  Activation fused() const;
  // The rest, applied after a fused call (tanh, softmax); x itself otherwise.
  Tensor apply_unfused(const Tensor& x) const;
  // The whole activation as recorded ops.
  Tensor apply(const Tensor& x) const;

 private:
  std::string name_ = "linear";
};

// An initialiser makes a tensor of a shape from a generator (f32; cast by the layer).
using Initializer = std::function<Tensor(const Shape&, Generator&)>;
// Keras names: glorot_uniform, glorot_normal, he_uniform, he_normal, zeros, ones,
// uniform (U(−0.05, 0.05), Embedding's default). An unknown name throws InvalidArgument.
Initializer initializer(const std::string& name);

// The options every layer with a kernel shares (Dense, Conv2D): activation, bias,
// initialisers, name. CRTP, so each setter returns the derived options and chains.
template <typename Derived>
class KernelLayerOptions {
 public:
  Derived& activation(LayerActivation a) {
    activation_ = std::move(a);
    return self();
  }
  Derived& use_bias(bool b) {
    use_bias_ = b;
    return self();
  }
  Derived& kernel_initializer(Initializer i) {
    kernel_initializer_ = std::move(i);
    return self();
  }
  Derived& kernel_initializer(const std::string& name) { return kernel_initializer(initializer(name)); }
  Derived& bias_initializer(Initializer i) {
    bias_initializer_ = std::move(i);
    return self();
  }
  Derived& bias_initializer(const std::string& name) { return bias_initializer(initializer(name)); }
  Derived& name(std::string n) {
    name_ = std::move(n);
    return self();
  }

  const LayerActivation& activation() const { return activation_; }
  bool use_bias() const { return use_bias_; }
  const Initializer& kernel_initializer() const { return kernel_initializer_; }
  const Initializer& bias_initializer() const { return bias_initializer_; }
  const std::string& name() const { return name_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  LayerActivation activation_;
  bool use_bias_ = true;
  Initializer kernel_initializer_ = initializer("glorot_uniform");
  Initializer bias_initializer_ = initializer("zeros");
  std::string name_;
};

class Model;

class Layer {
 public:
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;
  Layer(Layer&&) = default;
  Layer& operator=(Layer&&) = default;

  // Keras' class name, as summary() prints it: "Dense", "MaxPooling2D".
  virtual std::string type() const = 0;
  // The automatic name's stem: the type in snake case, as Keras ("max_pooling2d").
  std::string default_name() const;

  const std::string& name() const { return name_; }
  // Before build only.
  void set_name(std::string name);

  // Creates this layer's variables in `arena` (initialised from `gen`) for inputs of
  // per-example shape `input_shape`, and returns the per-example output shape.
  Shape build(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen);
  // The same for a layer that takes a list (Add, Concatenate); other layers take a
  // list of one.
  Shape build(const std::vector<Shape>& input_shapes, autodiff::VariableArena& arena, Generator& gen);
  bool built() const { return built_; }

  // x [N, input_shape...] -> [N, output_shape...]. Not const: BatchNormalization
  // updates its moving statistics in training; with training = false it reads only.
  Tensor operator()(const Tensor& x, const CallContext& context = {});
  // A list for the layers that take one (merge layers); a list of one for the others.
  Tensor operator()(const std::vector<Tensor>& inputs, const CallContext& context = {});

  // A one-input layer's input shape; input_shapes() has every input's.
  const Shape& input_shape() const;
  const std::vector<Shape>& input_shapes() const;
  const Shape& output_shape() const;
  const std::vector<autodiff::Variable>& variables() const { return variables_; }
  std::int64_t count_params() const;
  std::int64_t trainable_params() const;

  // Keras' layer.trainable: false freezes every variable (before or after build);
  // true gives back the trainability each variable was made with (moving statistics
  // stay non-trainable).
  void trainable(bool trainable);
  bool trainable() const { return trainable_; }

 protected:
  Layer() = default;
  explicit Layer(std::string name) : name_(std::move(name)) {}

  // Checks the per-example input shape (throwing through shape_error), creates the
  // variables with add_variable, returns the per-example output shape.
  virtual Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) = 0;
  // The forward pass, in training and in inference. Const: it may read the variables
  // and the context only, which is what lets threads share a built layer for inference.
  virtual Tensor call(const Tensor& x, const CallContext& context) const = 0;
  // The training call of a layer whose state changes when it trains (BatchNormalization's
  // moving statistics); the others keep this default.
  virtual Tensor call_training(const Tensor& x, const CallContext& context) { return call(x, context); }
  // Layers that take a list (merge.h) return true and override the two below.
  virtual bool takes_list() const { return false; }
  virtual Shape build_list(const std::vector<Shape>& input_shapes, autodiff::VariableArena& arena, Generator& gen);
  virtual Tensor call_list(const std::vector<Tensor>& inputs, const CallContext& context) const;

  // A variable "<name>/<short_name>" holding initial cast to the arena's dtype.
  autodiff::Variable add_variable(autodiff::VariableArena& arena, const std::string& short_name, const Tensor& initial,
                                  bool trainable = true);
  // InvalidArgument: "<type> '<name>': <what> (input shape (None, ...))".
  [[noreturn]] void shape_error(const Shape& input_shape, const std::string& what) const;
  // For layers that multiply their input by their variables (Dense, Conv2D):
  // InvalidArgument "Dense 'dense': input dtype u8, expected f32 (cast first)" unless x
  // has the variables' dtype.
  void check_float_input(const Tensor& x) const;

 private:
  friend class Model;  // registers the layer and builds it on its first call (Model::build)
  struct PendingBuild {
    autodiff::VariableArena* arena;
    Generator gen;
  };
  // Throws unless x [N, shape...] has the built per-example shape and a dtype the
  // variables accept; `which` names the input of a list.
  void check_input(const Tensor& x, const Shape& shape, const std::string& which) const;
  // Builds from the shapes of `inputs` when a model asked for a build on first call.
  void build_if_pending(const std::vector<Tensor>& inputs);

  std::string name_;
  bool built_ = false;
  bool trainable_ = true;
  bool in_model_ = false;
  std::optional<PendingBuild> pending_;
  std::vector<Shape> input_shapes_;
  Shape output_shape_;
  std::vector<autodiff::Variable> variables_;
  std::vector<bool> made_trainable_;  // each variable's trainability at creation
};

// (None, 26, 26, 32): a per-example shape with Keras' batch placeholder.
std::string batch_shape_string(const Shape& per_example);

// The first of stem, stem_1, stem_2, ... (one_based: stem_1, stem_2, ...) that is not
// `taken`: Keras' automatic names ("dense", "dense_1"; inputs are "input_1", "input_2").
std::string unique_layer_name(const std::string& stem, const std::function<bool(const std::string&)>& taken,
                              bool one_based = false);

}  // namespace spool::layers
