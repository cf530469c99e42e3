// Layers that merge a list of inputs, as keras.layers.Add and Concatenate: the
// residual add and the branch join of functional models (functional.h).
//
//   auto sum = layers::connect(layers::Add(), {x, shortcut});            // x + shortcut
//   auto both = layers::connect(layers::Concatenate(), {left, right});   // on the last axis
//   Tensor y = concatenate({a, b});                                    // a built layer, eagerly
//
// Both take a list of at least two inputs (Keras' rule). Add sums them: per-example
// shapes of one rank whose axes agree or are 1 (broadcast as the add op does; the
// gradient of a broadcast input is summed back to its shape). Concatenate joins them
// on `axis`, counted as Keras counts it, batch axis included (-1: the last; 0, the batch
// axis, is refused); every other axis must agree. Neither has variables; their
// gradients are those of the recorded add and concat ops.
// Thread-safety: see layer.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spool/autodiff/layers/layer.h"

namespace spool::layers {

// The shared part: a list of at least two inputs; a single tensor is refused.
class MergeLayer : public Layer {
 protected:
  using Layer::Layer;
  bool takes_list() const final { return true; }
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) final;
  Tensor call(const Tensor& x, const CallContext& context) const final;
  Shape build_list(const std::vector<Shape>& input_shapes, autodiff::VariableArena& arena, Generator& gen) final;
  // The per-example output shape for these (at least two) input shapes, or a shape_error.
  virtual Shape merged_shape(const std::vector<Shape>& input_shapes) const = 0;
};

class Add : public MergeLayer {
 public:
  explicit Add(std::string name = {}) : MergeLayer(std::move(name)) {}
  std::string type() const override { return "Add"; }

 protected:
  Shape merged_shape(const std::vector<Shape>& input_shapes) const override;
  Tensor call_list(const std::vector<Tensor>& inputs, const CallContext& context) const override;
};

class Concatenate : public MergeLayer {
 public:
  explicit Concatenate(std::int64_t axis = -1, std::string name = {});
  std::string type() const override { return "Concatenate"; }
  std::int64_t axis() const { return axis_; }

 protected:
  Shape merged_shape(const std::vector<Shape>& input_shapes) const override;
  Tensor call_list(const std::vector<Tensor>& inputs, const CallContext& context) const override;

 private:
  // The axis as an index into the per-example shape of rank `rank`, or a shape_error.
  std::int64_t example_axis(const Shape& first, std::int64_t rank) const;

  std::int64_t axis_;
};

}  // namespace spool::layers
