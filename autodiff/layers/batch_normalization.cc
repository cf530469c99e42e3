#include "spool/autodiff/layers/batch_normalization.h"

#include <cstdint>
#include <vector>

#include "spool/autodiff/cross_replica.h"
#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/math.h"
#include "spool/autodiff/ops/reduce.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool::layers {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer(options.name()), options_(std::move(options)) {
  SPOOL_CHECK(options_.momentum() >= 0 && options_.momentum() <= 1, InvalidArgument, "BatchNormalization: momentum ",
              options_.momentum(), " outside [0, 1]");
  SPOOL_CHECK(options_.epsilon() > 0, InvalidArgument, "BatchNormalization: epsilon must be positive, got ",
              options_.epsilon());
}

Shape BatchNormalization::build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& /*gen*/) {
  if (input_shape.rank() < 1) shape_error(input_shape, "needs a channel axis");
  const Shape c{input_shape[-1]};
  if (options_.scale()) gamma_ = add_variable(arena, "gamma", Tensor::ones(c, DType::kF32));
  if (options_.center()) beta_ = add_variable(arena, "beta", Tensor::zeros(c, DType::kF32));
  moving_mean_ = add_variable(arena, "moving_mean", Tensor::zeros(c, DType::kF32), false);
  moving_variance_ = add_variable(arena, "moving_variance", Tensor::ones(c, DType::kF32), false);
  return input_shape;
}

Tensor BatchNormalization::call(const Tensor& x, const CallContext& context) const {
  return normalize(x, context.training, nullptr, nullptr);
}

Tensor BatchNormalization::call_training(const Tensor& x, const CallContext& /*context*/) {
  if (!trainable()) return normalize(x, false, nullptr, nullptr);
  Tensor batch_mean, batch_variance;
  const Tensor y = normalize(x, true, &batch_mean, &batch_variance);
  // Under a distribution strategy every replica runs this call at once on its part of
  // the batch; replica 0 alone writes the moving statistics (the others' training
  // calls never read them), as strategy.h says.
  if (const autodiff::CrossReplica* cross = autodiff::current_cross_replica();
      cross != nullptr && cross->replica_id_in_sync_group() != 0) {
    return y;
  }
  const double m = options_.momentum();
  // The moving statistics are not part of the loss: computed from values no tape tracks.
  const Tensor mean_value = autodiff::stop_gradient(batch_mean);
  const Tensor variance_value = autodiff::stop_gradient(batch_variance);
  moving_mean_.assign(moving_mean_.unwatched_value() * m + mean_value * (1 - m));
  moving_variance_.assign(moving_variance_.unwatched_value() * m + variance_value * (1 - m));
  return y;
}

Tensor BatchNormalization::normalize(const Tensor& x, bool training, Tensor* batch_mean,
                                     Tensor* batch_variance) const {
  std::vector<std::int64_t> axes;  // every axis but the channels
  for (std::int64_t a = 0; a + 1 < x.rank(); ++a) axes.push_back(a);
  Tensor centered, variance;
  if (training) {
    const Tensor mu = mean(x, axes);
    centered = x - mu;
    variance = mean(centered * centered, axes);
    if (batch_mean != nullptr) *batch_mean = mu;
    if (batch_variance != nullptr) *batch_variance = variance;
  } else {
    centered = sub(x, moving_mean_.unwatched_value());
    variance = moving_variance_.unwatched_value();
  }
  // gamma / sqrt(var + eps) per channel first: [C] work instead of [N, ..., C].
  Tensor inv = div(1.0, sqrt(add(variance, options_.epsilon())));
  if (gamma_.defined()) inv = mul(inv, gamma_);
  Tensor y = mul(centered, inv);
  return beta_.defined() ? add(y, beta_) : y;
}

}  // namespace spool::layers
