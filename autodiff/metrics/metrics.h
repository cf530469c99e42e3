// Streaming metrics as Keras' (namespace spool::metrics), each a Metric (metric.h):
// update() per batch, result() at any time, reset() between epochs, state() for
// checkpoints.
//
//   metrics::SparseCategoricalAccuracy accuracy;
//   metrics::Mean mean_loss("loss");
//   for (auto& batch : epoch) {
//     accuracy.update(batch.labels, logits);   // logits or probabilities: argmax either way
//     mean_loss.update(loss);
//   }
//   double acc = accuracy.result();            // 0 before any update, as Keras
//
// Every metric here is a MeanMetric, a weighted mean. The accuracies average a 0/1
// match per example:
// - SparseCategoricalAccuracy: argmax(predictions, −1) == label (ids of the batch shape,
//   or with a trailing 1; integer or float dtype).
// - CategoricalAccuracy: argmax(predictions, −1) == argmax(labels, −1).
// - BinaryAccuracy: (prediction > threshold) == (label > 0.5), element by element;
//   with from_logits the threshold applies to sigmoid(prediction).
// Mean averages values: update(values[, sample_weight]) or update(value, weight). As a
// Metric (in fit's list, where update gets labels and outputs) it averages the model's
// outputs, y_pred.
// Thread-safety: a metric is updated by one thread at a time.
#pragma once

#include <string>

#include "spool/autodiff/metrics/metric.h"

namespace spool::metrics {

class Mean : public MeanMetric {
 public:
  explicit Mean(std::string name = "mean") : MeanMetric(std::move(name)) {}
  void update(const Tensor& values, const Tensor& sample_weight = Tensor()) { add(values, sample_weight); }
  void update(double value, double weight = 1.0) { add(value, weight); }
  void update(const Tensor& /*y_true*/, const Tensor& y_pred, const Tensor& sample_weight) override {
    add(y_pred, sample_weight);
  }
};

class SparseCategoricalAccuracy : public MeanMetric {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : MeanMetric(std::move(name)) {}
  void update(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight = Tensor()) override;
};

class CategoricalAccuracy : public MeanMetric {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : MeanMetric(std::move(name)) {}
  void update(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight = Tensor()) override;
};

class BinaryAccuracy : public MeanMetric {
 public:
  explicit BinaryAccuracy(double threshold = 0.5, bool from_logits = false, std::string name = "binary_accuracy");
  void update(const Tensor& labels, const Tensor& predictions, const Tensor& sample_weight = Tensor()) override;
  double threshold() const { return threshold_; }
  bool from_logits() const { return from_logits_; }

 private:
  double threshold_;
  bool from_logits_;
};

}  // namespace spool::metrics
