// Losses as Keras computes them (namespace spool::losses), built from recorded ops so
// the tape gives their gradients.
//
//   losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
//   Tensor loss = loss_fn(labels, logits);                  // [] mean over the batch
//   Tensor per_example = losses::mean_squared_error(y, y_hat); // [N]
//   Tensor scaled = losses::compute_average_loss(per_example, /*global_batch_size=*/64);
//   Tensor l2 = losses::scale_regularization_loss(weight_decay, ctx.num_replicas_in_sync());
//
// The functions return per-example losses: the batch shape (predictions' shape without
// the last axis), the last axis reduced as Keras does (a sum for the cross-entropies,
// a mean for binary cross-entropy, MSE, MAE and Huber). Labels come first, as Keras.
// - Sparse categorical: labels are class ids (i32/i64, or floats holding integers) of
//   the batch shape (or with a trailing 1). from_logits runs the fused
//   sparse_softmax_cross_entropy (log-softmax, numerically stable); from
//   probabilities clips them to [1e-7, 1 − 1e-7] (Keras' epsilon) and takes their log
//   as logits, renormalising as Keras does.
// - Categorical: one-hot (or soft) labels shaped like predictions; from_logits uses
//   log_softmax; probabilities are divided by their sum, then clipped as above.
// - Binary: labels in [0, 1] shaped like predictions; from_logits uses
//   log σ(x) = log_softmax([0, x])[1] (stable, smooth at 0); probabilities are clipped
//   and, as Keras, log(p + 1e-7) and log(1 − p + 1e-7).
// - Regression losses take labels of any numeric dtype (cast to predictions').
// Reductions (the loss objects, reduce_loss): kSumOverBatchSize (Keras' default: the
// sum divided by the number of per-example losses), kSum, kNone.
// Thread-safety: pure functions; loss objects are immutable after construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spool/tensor/tensor.h"

namespace spool::losses {

// Keras' backend epsilon, for clipping probabilities.
inline constexpr double kEpsilon = 1e-7;

enum class Reduction { kSumOverBatchSize, kSum, kNone };

Tensor sparse_categorical_crossentropy(const Tensor& labels, const Tensor& predictions, bool from_logits = false);
Tensor categorical_crossentropy(const Tensor& labels, const Tensor& predictions, bool from_logits = false);
Tensor binary_crossentropy(const Tensor& labels, const Tensor& predictions, bool from_logits = false);
Tensor mean_squared_error(const Tensor& labels, const Tensor& predictions);
Tensor mean_absolute_error(const Tensor& labels, const Tensor& predictions);
// 0.5·e² where |e| <= delta, else delta·|e| − 0.5·delta², e = prediction − label.
Tensor huber(const Tensor& labels, const Tensor& predictions, double delta = 1.0);

// per_example · sample_weight (broadcast; undefined: 1), then reduced.
Tensor reduce_loss(const Tensor& per_example, Reduction reduction, const Tensor& sample_weight = Tensor());

// tf.nn.compute_average_loss: Σ (per_example · sample_weight) / global_batch_size, the
// loss each replica minimises so that the replicas' gradients add up to the global
// batch's mean. Without global_batch_size, per_example's first extent (one replica).
Tensor compute_average_loss(const Tensor& per_example, std::optional<std::int64_t> global_batch_size = std::nullopt,
                            const Tensor& sample_weight = Tensor());
// tf.nn.scale_regularization_loss: a loss every replica adds whole (weight decay, say)
// divided by the replicas in sync, so that the replicas' summed gradients count it
// once (ReplicaContext::num_replicas_in_sync, distribute/strategy.h).
Tensor scale_regularization_loss(const Tensor& regularization_loss, int num_replicas_in_sync);

class LossOptions {
 public:
  LossOptions& from_logits(bool f) {
    from_logits_ = f;
    return *this;
  }
  LossOptions& reduction(Reduction r) {
    reduction_ = r;
    return *this;
  }
  bool from_logits() const { return from_logits_; }
  Reduction reduction() const { return reduction_; }

 private:
  bool from_logits_ = false;
  Reduction reduction_ = Reduction::kSumOverBatchSize;
};

// A Keras loss object: the per-example function, then the reduction.
class Loss {
 public:
  explicit Loss(LossOptions options = LossOptions()) : options_(options) {}
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  virtual Tensor per_example(const Tensor& labels, const Tensor& predictions) const = 0;
  Tensor operator()(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight = Tensor()) const {
    return reduce_loss(per_example(labels, predictions), options_.reduction(), sample_weight);
  }
  const LossOptions& options() const { return options_; }

 protected:
  // For the losses that have no from_logits: setting it throws InvalidArgument.
  void refuse_from_logits() const;

  LossOptions options_;
};

class SparseCategoricalCrossentropy : public Loss {
 public:
  using Loss::Loss;
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  Tensor per_example(const Tensor& labels, const Tensor& predictions) const override {
    return sparse_categorical_crossentropy(labels, predictions, options_.from_logits());
  }
};

class CategoricalCrossentropy : public Loss {
 public:
  using Loss::Loss;
  std::string name() const override { return "categorical_crossentropy"; }
  Tensor per_example(const Tensor& labels, const Tensor& predictions) const override {
    return categorical_crossentropy(labels, predictions, options_.from_logits());
  }
};

class BinaryCrossentropy : public Loss {
 public:
  using Loss::Loss;
  std::string name() const override { return "binary_crossentropy"; }
  Tensor per_example(const Tensor& labels, const Tensor& predictions) const override {
    return binary_crossentropy(labels, predictions, options_.from_logits());
  }
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(LossOptions options = LossOptions()) : Loss(options) { refuse_from_logits(); }
  std::string name() const override { return "mean_squared_error"; }
  Tensor per_example(const Tensor& labels, const Tensor& predictions) const override {
    return mean_squared_error(labels, predictions);
  }
};

class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(LossOptions options = LossOptions()) : Loss(options) { refuse_from_logits(); }
  std::string name() const override { return "mean_absolute_error"; }
  Tensor per_example(const Tensor& labels, const Tensor& predictions) const override {
    return mean_absolute_error(labels, predictions);
  }
};

class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0, LossOptions options = LossOptions());
  std::string name() const override { return "huber_loss"; }
  Tensor per_example(const Tensor& labels, const Tensor& predictions) const override {
    return huber(labels, predictions, delta_);
  }
  double delta() const { return delta_; }

 private:
  double delta_;
};

}  // namespace spool::losses
