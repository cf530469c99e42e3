#include "spool/autodiff/layers/embedding.h"

#include <vector>

#include "spool/autodiff/ops/gather.h"

namespace spool::layers {

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, std::string name)
    : Layer(std::move(name)), input_dim_(input_dim), output_dim_(output_dim) {
  SPOOL_CHECK(input_dim > 0 && output_dim > 0, InvalidArgument, "Embedding: input_dim ", input_dim, " and output_dim ",
              output_dim, " must be positive");
}

Shape Embedding::build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) {
  embeddings_ = add_variable(arena, "embeddings", initializer_(Shape{input_dim_, output_dim_}, gen));
  std::vector<std::int64_t> out = input_shape.dims();
  out.push_back(output_dim_);
  return Shape(std::move(out));
}

Tensor Embedding::call(const Tensor& x, const CallContext& /*context*/) const {
  SPOOL_CHECK(x.dtype() == DType::kI32 || x.dtype() == DType::kI64, InvalidArgument, type(), " ", quoted(name()),
              ": ids must be i32 or i64, got ", dtype_name(x.dtype()));
  return embedding_lookup(embeddings_, x);
}

}  // namespace spool::layers
