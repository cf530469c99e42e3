// Streaming metrics as Keras' (namespace spool::metrics): update() per batch, result()
// at any time, reset() between epochs. They compute with the tensor/ kernels, never
// with recorded ops, so updating one inside a GradientTape scope records nothing.
//
//   metrics::SparseCategoricalAccuracy accuracy;
//   metrics::Mean mean_loss;
//   for (auto& batch : epoch) {
//     accuracy.update(batch.labels, logits);   // logits or probabilities: argmax either way
//     mean_loss.update(loss);
//   }
//   double acc = accuracy.result();            // 0 before any update, as Keras
//
// Every metric is a weighted mean: result() = Σ value·weight / Σ weight, accumulated in
// double. The accuracies average a 0/1 match per example:
// - SparseCategoricalAccuracy: argmax(predictions, −1) == label (ids of the batch shape,
//   or with a trailing 1; integer or float dtype).
// - CategoricalAccuracy: argmax(predictions, −1) == argmax(labels, −1).
// - BinaryAccuracy: (prediction > threshold) == (label > 0.5), element by element;
//   with from_logits the threshold applies to sigmoid(prediction).
// Thread-safety: a metric is updated by one thread at a time.
#pragma once

#include <string>

#include "spool/tensor/tensor.h"

namespace spool::metrics {

class Mean {
 public:
  explicit Mean(std::string name = "mean") : name_(std::move(name)) {}
  virtual ~Mean() = default;
  // Every element of values (any shape, any numeric dtype), weighted by sample_weight
  // (broadcast to values; undefined: 1).
  void update(const Tensor& values, const Tensor& sample_weight = Tensor());
  void update(double value, double weight = 1.0);
  double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset() {
    total_ = 0;
    count_ = 0;
  }
  const std::string& name() const { return name_; }
  double total() const { return total_; }
  double count() const { return count_; }

 private:
  std::string name_;
  double total_ = 0, count_ = 0;
};

class SparseCategoricalAccuracy : public Mean {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : Mean(std::move(name)) {}
  void update(const Tensor& labels, const Tensor& predictions);
};

class CategoricalAccuracy : public Mean {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : Mean(std::move(name)) {}
  void update(const Tensor& labels, const Tensor& predictions);
};

class BinaryAccuracy : public Mean {
 public:
  explicit BinaryAccuracy(double threshold = 0.5, bool from_logits = false, std::string name = "binary_accuracy");
  void update(const Tensor& labels, const Tensor& predictions);
  double threshold() const { return threshold_; }

 private:
  double threshold_;
  bool from_logits_;
};

}  // namespace spool::metrics
