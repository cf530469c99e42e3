// Embedding: integer ids to dense vectors, as keras.layers.Embedding.
//
//   layers::Embedding embed(/*input_dim=*/10000, /*output_dim=*/16);
//   Tensor vectors = embed(token_ids);        // ids [N, T] (i32/i64) -> [N, T, 16]
//
// Variable "<name>/embeddings" [input_dim, output_dim], initialised U(−0.05, 0.05) as
// Keras' "uniform". An id outside [0, input_dim) throws OutOfRange quoting it. The
// gradient is dense (scatter_add of dy), not TensorFlow's IndexedSlices.
// Thread-safety: see layer.h.
#pragma once

#include <cstdint>
#include <string>

#include "spool/autodiff/layers/layer.h"

namespace spool::layers {

class Embedding : public Layer {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, std::string name = {});
  Embedding& embeddings_initializer(Initializer i) {
    initializer_ = std::move(i);
    return *this;
  }
  std::string type() const override { return "Embedding"; }
  autodiff::Variable embeddings() const { return embeddings_; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;

 private:
  std::int64_t input_dim_, output_dim_;
  Initializer initializer_ = initializer("uniform");
  autodiff::Variable embeddings_;
};

}  // namespace spool::layers
