// Layers without variables that reshape or regularise, and Lambda, which makes any
// callable a layer — as keras.layers.Flatten, Dropout and Lambda.
//
//   layers::Flatten flatten;                        // [N, 5, 5, 64] -> [N, 1600]
//   layers::Dropout drop(0.2);                      // training only; needs context.rng
//   layers::Lambda scale([](const Tensor& x, const layers::CallContext&) { return mul(x, 1 / 255.0); });
//
// Dropout with training = true draws its mask from context.rng (dropout: the same
// generator state gives the same mask); without an rng it throws InvalidArgument. At
// inference it returns its input unchanged.
// Lambda finds its output shape at build time by calling the function once on zeros of
// one example (a fresh tensor no tape tracks), so it must accept any batch size; a
// model shared by serving threads calls it from each (Model::infer), so it must be
// safe to call concurrently then.
// Thread-safety: see layer.h.
#pragma once

#include <functional>
#include <string>

#include "spool/autodiff/layers/layer.h"

namespace spool::layers {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = {}) : Layer(std::move(name)) {}
  std::string type() const override { return "Flatten"; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;
};

class Dropout : public Layer {
 public:
  // rate in [0, 1): the fraction of inputs zeroed in training.
  explicit Dropout(double rate, std::string name = {});
  std::string type() const override { return "Dropout"; }
  double rate() const { return rate_; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;

 private:
  double rate_;
};

using LayerFunction = std::function<Tensor(const Tensor&, const CallContext&)>;

class Lambda : public Layer {
 public:
  explicit Lambda(LayerFunction fn, std::string name = {});
  std::string type() const override { return "Lambda"; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;

 private:
  LayerFunction fn_;
};

}  // namespace spool::layers
