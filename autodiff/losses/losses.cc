#include "spool/autodiff/losses/losses.h"

#include "spool/autodiff/graph/trace.h"
#include <algorithm>
#include <vector>

#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/ops/activation.h"
#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/compare.h"
#include "spool/autodiff/ops/cross_entropy.h"
#include "spool/autodiff/ops/math.h"
#include "spool/autodiff/ops/reduce.h"
#include "spool/autodiff/ops/shape.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool::losses {
namespace {

void check_float(const Tensor& predictions, const char* who) {
  SPOOL_CHECK(predictions.dtype() == DType::kF32 || predictions.dtype() == DType::kF64, InvalidArgument, who,
              ": predictions must be f32 or f64, got ", dtype_name(predictions.dtype()));
  SPOOL_CHECK(predictions.rank() >= 1, InvalidArgument, who, ": predictions need a class/feature axis, got shape ",
              predictions.shape().to_string());
}

// Labels cast to the predictions' dtype, which they must match in shape.
Tensor dense_labels(const Tensor& labels, const Tensor& predictions, const char* who) {
  check_float(predictions, who);
  SPOOL_CHECK(labels.shape() == predictions.shape(), InvalidArgument, who, ": labels ", labels.shape().to_string(),
              " and predictions ", predictions.shape().to_string(), " differ in shape");
  return labels.dtype() == predictions.dtype() ? labels : labels.cast(predictions.dtype());
}

// predictions' shape without the last axis.
std::vector<std::int64_t> batch_dims(const Tensor& predictions) {
  const auto& d = predictions.shape().dims();
  return {d.begin(), d.end() - 1};
}

}  // namespace

Tensor sparse_categorical_crossentropy(const Tensor& labels, const Tensor& predictions, bool from_logits) {
  const char* who = "sparse_categorical_crossentropy";
  check_float(predictions, who);
  const std::int64_t classes = predictions.dim(-1), rows = predictions.numel() / std::max<std::int64_t>(classes, 1);
  SPOOL_CHECK(labels.numel() == rows, InvalidArgument, who, ": labels ", labels.shape().to_string(),
              " do not match the batch of predictions ", predictions.shape().to_string());
  Tensor logits = reshape(predictions, {rows, classes});
  // Keras: log of the clipped probabilities, used as logits (which renormalises them).
  if (!from_logits) logits = log(clip(logits, kEpsilon, 1 - kEpsilon));
  const Tensor loss = sparse_softmax_cross_entropy(logits, labels.reshape({rows}));
  return reshape(loss, batch_dims(predictions));
}

Tensor categorical_crossentropy(const Tensor& labels, const Tensor& predictions, bool from_logits) {
  const Tensor y = dense_labels(labels, predictions, "categorical_crossentropy");
  Tensor log_p;
  if (from_logits) {
    log_p = log_softmax(predictions);
  } else {
    const Tensor p = div(predictions, sum(predictions, {-1}, true));
    log_p = log(clip(p, kEpsilon, 1 - kEpsilon));
  }
  return neg(sum(mul(y, log_p), {-1}));
}

Tensor binary_crossentropy(const Tensor& labels, const Tensor& predictions, bool from_logits) {
  const Tensor z = dense_labels(labels, predictions, "binary_crossentropy");
  Tensor log_p, log_not_p;
  if (from_logits) {  // log σ(x) and log σ(−x) = log(1 − σ(x)) as one log_softmax over [0, x]
    Tensor zeros;
    {
      const graph::ConstantScope constant;  // the same zeros at every replay of a traced step
      zeros = Tensor::zeros(predictions.shape(), predictions.dtype());
    }
    const Tensor pair = log_softmax(stack({zeros, predictions}, -1));
    log_not_p = reshape(slice(pair, -1, 0, 1), predictions.shape());
    log_p = reshape(slice(pair, -1, 1, 2), predictions.shape());
  } else {
    const Tensor p = clip(predictions, kEpsilon, 1 - kEpsilon);
    log_p = log(add(p, kEpsilon));
    log_not_p = log(add(sub(1.0, p), kEpsilon));
  }
  const Tensor elementwise = add(mul(z, log_p), mul(sub(1.0, z), log_not_p));
  return neg(mean(elementwise, {-1}));
}

Tensor mean_squared_error(const Tensor& labels, const Tensor& predictions) {
  const Tensor e = sub(predictions, dense_labels(labels, predictions, "mean_squared_error"));
  return mean(mul(e, e), {-1});
}

Tensor mean_absolute_error(const Tensor& labels, const Tensor& predictions) {
  return mean(abs(sub(predictions, dense_labels(labels, predictions, "mean_absolute_error"))), {-1});
}

Tensor huber(const Tensor& labels, const Tensor& predictions, double delta) {
  const Tensor e = sub(predictions, dense_labels(labels, predictions, "huber"));
  const Tensor abs_e = abs(e);
  const Tensor quadratic = mul(mul(e, e), 0.5);
  const Tensor linear = sub(mul(abs_e, delta), 0.5 * delta * delta);
  return mean(where(less_equal(abs_e, delta), quadratic, linear), {-1});
}

Tensor reduce_loss(const Tensor& per_example, Reduction reduction, const Tensor& sample_weight) {
  const Tensor weighted = sample_weight.defined() ? mul(per_example, sample_weight.cast(per_example.dtype()))
                                                  : per_example;
  switch (reduction) {
    case Reduction::kNone:
      return weighted;
    case Reduction::kSum:
      return sum(weighted);
    case Reduction::kSumOverBatchSize:
      return div(sum(weighted), static_cast<double>(std::max<std::int64_t>(weighted.numel(), 1)));
  }
  SPOOL_THROW(InvalidArgument, "reduce_loss: unknown reduction ", static_cast<int>(reduction));
}

Tensor compute_average_loss(const Tensor& per_example, std::optional<std::int64_t> global_batch_size,
                            const Tensor& sample_weight) {
  SPOOL_CHECK(per_example.rank() >= 1, InvalidArgument,
              "compute_average_loss: per-example losses must have a batch axis, got shape ",
              per_example.shape().to_string());
  const std::int64_t n = global_batch_size.value_or(per_example.dim(0));
  SPOOL_CHECK(n > 0, InvalidArgument, "compute_average_loss: global_batch_size must be positive, got ", n);
  return div(reduce_loss(per_example, Reduction::kSum, sample_weight), static_cast<double>(n));
}

Tensor scale_regularization_loss(const Tensor& regularization_loss, int num_replicas_in_sync) {
  SPOOL_CHECK(num_replicas_in_sync >= 1, InvalidArgument, "scale_regularization_loss: num_replicas_in_sync must be ",
              "at least 1, got ", num_replicas_in_sync);
  return div(regularization_loss, static_cast<double>(num_replicas_in_sync));
}

void Loss::refuse_from_logits() const {
  SPOOL_CHECK(!options_.from_logits(), InvalidArgument, name(), ": has no from_logits option");
}

Huber::Huber(double delta, LossOptions options) : Loss(options), delta_(delta) {
  refuse_from_logits();
  SPOOL_CHECK(delta > 0, InvalidArgument, "huber_loss: delta must be positive, got ", delta);
}

}  // namespace spool::losses
