// The metrics a Trainer reports beside the loss, given as Keras' compile(metrics=[...])
// takes them: metric objects, or the shorthand "accuracy" ("acc"), which becomes the
// accuracy that goes with the loss, named as it was written (Keras logs
// compile(metrics=["accuracy"]) as "accuracy"):
//   sparse_categorical_crossentropy -> SparseCategoricalAccuracy
//   categorical_crossentropy        -> CategoricalAccuracy
//   binary_crossentropy             -> BinaryAccuracy(0.5, the loss's from_logits)
// Any other loss with the shorthand is an InvalidArgument (pass a metric object).
//
//   Trainer trainer(model, loss, adam, {"accuracy", std::make_shared<MyMetric>()});
//
// Names are columns of metrics.jsonl and parts of checkpoint entry names, so they must be
// unique, not empty, not "loss" nor start with "val_", nor be one of metrics.jsonl's own
// columns (epoch, examples_per_sec, seconds, step), and hold no '/', '"', '\' or control
// character; InvalidArgument naming the metric otherwise.
// Thread-safety: plain values; the metrics themselves are used by one thread at a time.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <vector>

#include "spool/autodiff/losses/losses.h"
#include "spool/autodiff/metrics/metric.h"

namespace spool::distribute {

class MetricSpec {
 public:
  MetricSpec(const char* shorthand) : shorthand_(shorthand) {}  // NOLINT: implicit, as Keras' strings
  MetricSpec(std::string shorthand) : shorthand_(std::move(shorthand)) {}  // NOLINT
  template <std::derived_from<metrics::Metric> M>
  MetricSpec(std::shared_ptr<M> metric) : metric_(std::move(metric)), is_object_(true) {}  // NOLINT

  // The metric, the shorthand made into the one that goes with `loss`.
  std::shared_ptr<metrics::Metric> resolve(const losses::Loss& loss) const;

 private:
  std::string shorthand_;
  std::shared_ptr<metrics::Metric> metric_;
  bool is_object_ = false;
};

// Every spec resolved, names checked (see above).
std::vector<std::shared_ptr<metrics::Metric>> resolve_metrics(const std::vector<MetricSpec>& specs,
                                                              const losses::Loss& loss);

}  // namespace spool::distribute
