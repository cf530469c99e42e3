// Dense: y = activation(x · kernel + bias) over the last axis, as keras.layers.Dense.
//
//   layers::Dense hidden(layers::DenseOptions(128).activation("relu"));
//   layers::Dense logits(layers::DenseOptions(10));           // no activation
//   layers::Dense gate(layers::DenseOptions(1).activation("sigmoid").use_bias(false));
//
// Variables "<name>/kernel" [in, units] (glorot_uniform) and "<name>/bias" [units]
// (zeros). relu and sigmoid run fused with the matmul and bias (dense: one pass,
// one tape node); tanh and softmax are applied after. An input of rank > 1 per example
// ([N, T, in]) is treated as rows of its last axis, as Keras.
// Thread-safety: see layer.h.
#pragma once

#include <cstdint>
#include <string>

#include "spool/autodiff/layers/layer.h"

namespace spool::layers {

// Activation, use_bias, initialisers and name: see KernelLayerOptions (layer.h).
class DenseOptions : public KernelLayerOptions<DenseOptions> {
 public:
  explicit DenseOptions(std::int64_t units) : units_(units) {}
  std::int64_t units() const { return units_; }

 private:
  std::int64_t units_;
};

class Dense : public Layer {
 public:
  explicit Dense(DenseOptions options);
  std::string type() const override { return "Dense"; }
  const DenseOptions& options() const { return options_; }
  autodiff::Variable kernel() const { return kernel_; }
  autodiff::Variable bias() const { return bias_; }  // undefined without use_bias

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;

 private:
  DenseOptions options_;
  autodiff::Variable kernel_, bias_;
};

}  // namespace spool::layers
