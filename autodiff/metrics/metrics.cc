#include "spool/autodiff/metrics/metrics.h"

#include <cmath>

#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool::metrics {
namespace {

// Class ids along the last axis, as i64 of the batch shape.
Tensor predicted_class(const Tensor& predictions, const char* who) {
  SPOOL_CHECK(predictions.rank() >= 1 && predictions.dim(-1) > 0, InvalidArgument, who,
              ": predictions need a class axis, got shape ", predictions.shape().to_string());
  return spool::kernels::argmax(predictions, -1);
}

}  // namespace

void SparseCategoricalAccuracy::update(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight) {
  const Tensor predicted = predicted_class(predictions, "sparse_categorical_accuracy");
  SPOOL_CHECK(labels.numel() == predicted.numel(), InvalidArgument, "sparse_categorical_accuracy: labels ",
              labels.shape().to_string(), " do not match the batch of predictions ", predictions.shape().to_string());
  // Float labels are compared after rounding, as Keras casts them.
  const Tensor ids = labels.dtype() == DType::kF32 || labels.dtype() == DType::kF64
                         ? labels.cast(DType::kF64).reshape(predicted.shape())
                         : labels.cast(DType::kI64).reshape(predicted.shape());
  add(spool::kernels::equal(ids.dtype() == DType::kI64 ? predicted : predicted.cast(DType::kF64), ids), sample_weight);
}

void CategoricalAccuracy::update(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight) {
  SPOOL_CHECK(labels.shape() == predictions.shape(), InvalidArgument, "categorical_accuracy: labels ",
              labels.shape().to_string(), " and predictions ", predictions.shape().to_string(), " differ in shape");
  add(spool::kernels::equal(predicted_class(predictions, "categorical_accuracy"),
                            predicted_class(labels, "categorical_accuracy")),
      sample_weight);
}

BinaryAccuracy::BinaryAccuracy(double threshold, bool from_logits, std::string name)
    : MeanMetric(std::move(name)), threshold_(threshold), from_logits_(from_logits) {
  SPOOL_CHECK(threshold > 0 && threshold < 1, InvalidArgument, "binary_accuracy: threshold ", threshold,
              " outside (0, 1)");
}

void BinaryAccuracy::update(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight) {
  SPOOL_CHECK(labels.numel() == predictions.numel(), InvalidArgument, "binary_accuracy: labels ",
              labels.shape().to_string(), " and predictions ", predictions.shape().to_string(), " differ in size");
  // σ(x) > t ⇔ x > log(t / (1 − t)): the logits are compared without a sigmoid.
  const double cut = from_logits_ ? std::log(threshold_ / (1 - threshold_)) : threshold_;
  const Tensor predicted = spool::kernels::greater(predictions.cast(DType::kF64), cut);
  const Tensor truth = spool::kernels::greater(labels.cast(DType::kF64).reshape(predictions.shape()), 0.5);
  add(spool::kernels::equal(predicted, truth), sample_weight);
}

}  // namespace spool::metrics
