// Metric: what a streaming metric is to the training loop (namespace spool::metrics),
// as Keras' keras.metrics.Metric: update() per batch, result() at any time, reset()
// between epochs, a name to log it under, and a state a checkpoint saves, so that a
// run resumed in the middle of an epoch goes on with the numbers it had.
//
//   class MeanAbsoluteLogit : public metrics::MeanMetric {   // a weighted mean of values
//    public:
//     MeanAbsoluteLogit() : MeanMetric("mean_abs_logit") {}
//     void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override {
//       add(kernels::abs(y_pred), sample_weight);
//     }
//   };
//   Trainer trainer(model, loss, adam, {"accuracy", std::make_shared<MeanAbsoluteLogit>()});
//
// state() is the metric's numbers as named tensors ("total", "count"); load_state()
// puts them back. A metric that holds more (a confusion matrix) returns more tensors.
// Metrics compute with the tensor/ kernels, never with recorded ops, so an update
// inside a GradientTape scope records nothing.
// Thread-safety: a metric is used by one thread at a time.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "spool/tensor/tensor.h"
#include "spool/tensor/tensor_file.h"

namespace spool::metrics {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;

  // One batch: labels, the model's outputs and per-example weights (undefined: every
  // example weighs 1). fit() calls it with the batch's labels and the model's outputs.
  virtual void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) = 0;
  virtual double result() const = 0;
  virtual void reset() = 0;
  // The numbers result() comes from, named relative to the metric ("total").
  virtual std::vector<NamedTensor> state() const = 0;
  // Puts back what state() returned. An entry missing, or of another dtype or shape, is
  // an InvalidArgument naming the metric and the entry, with nothing changed.
  virtual void load_state(std::span<const NamedTensor> state) = 0;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A metric whose result is a weighted mean of per-example values (Keras' Mean and
// MeanMetricWrapper): result() = Σ value·weight / Σ weight, accumulated in double, 0
// before any update (as Keras). State: f64 scalars "total" and "count".
class MeanMetric : public Metric {
 public:
  using Metric::Metric;
  double result() const override { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset() override {
    total_ = 0;
    count_ = 0;
  }
  std::vector<NamedTensor> state() const override;
  void load_state(std::span<const NamedTensor> state) override;
  double total() const { return total_; }
  double count() const { return count_; }

 protected:
  // Every element of values (any shape, any numeric dtype), weighted by sample_weight
  // (broadcast to values; undefined: 1).
  void add(const Tensor& values, const Tensor& sample_weight);
  void add(double value, double weight);

 private:
  double total_ = 0, count_ = 0;
};

}  // namespace spool::metrics
