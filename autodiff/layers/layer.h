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
// Variables live in the arena given to build() (a Sequential gives its own), named
// "<layer>/<variable>" as Keras: "dense/kernel", "batch_normalization/moving_mean".
// Building a layer twice throws: a layer belongs to one model.
//
// Thread-safety: a built layer may be called from one thread at a time (BatchNormalization
// updates its moving statistics when training); build is not concurrent with anything.
#pragma once

#include <cstdint>
#include <functional>
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
  bool built() const { return built_; }

  // x [N, input_shape...] -> [N, output_shape...]. Not const: BatchNormalization
  // updates its moving statistics in training.
  Tensor operator()(const Tensor& x, const CallContext& context = {});

  const Shape& input_shape() const;
  const Shape& output_shape() const;
  const std::vector<autodiff::Variable>& variables() const { return variables_; }
  std::int64_t count_params() const;
  std::int64_t trainable_params() const;

 protected:
  Layer() = default;
  explicit Layer(std::string name) : name_(std::move(name)) {}

  // Checks the per-example input shape (throwing through shape_error), creates the
  // variables with add_variable, returns the per-example output shape.
  virtual Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) = 0;
  virtual Tensor call(const Tensor& x, const CallContext& context) = 0;

  // A variable "<name>/<short_name>" holding initial cast to the arena's dtype.
  autodiff::Variable add_variable(autodiff::VariableArena& arena, const std::string& short_name, const Tensor& initial,
                                  bool trainable = true);
  // InvalidArgument: "<type> '<name>': <what> (input shape (None, ...))".
  [[noreturn]] void shape_error(const Shape& input_shape, const std::string& what) const;

 private:
  std::string name_;
  bool built_ = false;
  Shape input_shape_, output_shape_;
  std::vector<autodiff::Variable> variables_;
};

// (None, 26, 26, 32): a per-example shape with Keras' batch placeholder.
std::string batch_shape_string(const Shape& per_example);

}  // namespace spool::layers
