// fit: Keras' model.fit for those who don't want their own loop — a GradientTape step
// per batch, an optimizer, a loss and metrics, validation after each epoch, callbacks,
// a progress bar — and evaluate / predict beside it.
//
//   layers::Sequential model = ...;  model.build(Shape{28, 28, 1}, seed);
//   autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3));
//   losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
//   distribute::Trainer trainer(model, loss, adam, {"accuracy"});   // metric_list.h
//   History h = trainer.fit(train_batches, FitOptions().epochs(5).validation(test_batches)
//                                              .callback(std::make_shared<StopAtAccuracy>(0.95)));
//   double acc = trainer.evaluate(test_batches).value("accuracy");
//
// Data: elements {x, y} (features first, labels second; more components are ignored),
// already batched. An epoch is steps_per_epoch batches when given, else one pass:
// - known cardinality (or steps_per_epoch): one iterator over train.repeat() serves
//   every epoch, so the shuffle reshuffles per epoch (tf.data semantics) and the
//   iterator's saved state resumes mid-run exactly;
// - unknown cardinality (TFRecord shards without an index, a filter): an epoch runs to
//   the end of the data, as Keras does, and the next starts a fresh pass (the bar has
//   no total). The passes are still those of one iterator (see fit.cc), so they
//   reshuffle as repeat() numbers them and a checkpoint resumes anywhere exactly;
// - infinite: steps_per_epoch is needed (InvalidArgument without it).
// Determinism: Dropout takes Generator(seed, step) at each step, so the same seed,
// data and thread count give the same weights, and a resumed run continues the
// very numbers an uninterrupted one would have used.
// Resume: FitOptions::resume_from(TrainingState) (restore_checkpoint's result) continues
// from its step, epoch, step within the epoch, iterator state and the loss's and
// metrics' numbers; ModelCheckpoint (callbacks.h) writes them. An epoch resumed in its
// middle logs the loss and metrics of the whole epoch (as far as the checkpoint has
// them), its examples and timing since the checkpoint. Without resume_from, fit counts
// epochs from 0 again (a second fit trains `epochs` more, as in Keras) while step() goes on.
// Distribution: the Trainer runs under the strategy of the scope it is made in
// (strategy.h: get_strategy(); OneDeviceStrategy outside any). Batches are global
// batches, split among the replicas of every worker (each worker reads the whole
// stream: tf.data's DATA sharding, so every replica × worker count sees the same
// examples and a checkpoint resumes on any other count); each replica minimises
// compute_average_loss over the global batch, so one step is the global batch's step.
// Worker 0 alone prints the progress bar and runs ModelCheckpoint's writes; the loss is
// the global batch's, and the metrics are summed over workers at the end of an epoch,
// so every worker logs the same numbers and callbacks decide alike.
// Thread-safety: one thread drives a Trainer; kernels use the process pool (under
// MirroredStrategy, each replica its share of the cores).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/graph/function.h"
#include "spool/autodiff/metrics/metrics.h"
#include "spool/autodiff/model.h"
#include "spool/autodiff/optim/optimizer.h"
#include "spool/data/dataset.h"
#include "spool/distribute/epoch_logs.h"
#include "spool/distribute/metric_list.h"
#include "spool/distribute/progress_bar.h"
#include "spool/distribute/strategy.h"
#include "spool/tensor/random.h"

namespace spool::distribute {

class Trainer;

// Callbacks in Keras' spirit; the trainer is passed so a callback can stop training,
// save the model or read the iterator position.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Trainer&) {}
  virtual void on_batch_end(std::int64_t /*step*/, Trainer&) {}
  virtual void on_epoch_end(const EpochLogs& /*logs*/, Trainer&) {}
  virtual void on_train_end(const History& /*history*/, Trainer&) {}
};

class FitOptions {
 public:
  FitOptions& epochs(int n) { return set(epochs_, n); }
  FitOptions& steps_per_epoch(std::int64_t n) { return set(steps_per_epoch_, n); }
  FitOptions& validation(data::Dataset ds) { return set(validation_, std::optional<data::Dataset>(std::move(ds))); }
  FitOptions& callback(std::shared_ptr<Callback> c) {
    callbacks_.push_back(std::move(c));
    return *this;
  }
  FitOptions& seed(std::uint64_t s) { return set(seed_, s); }
  FitOptions& progress(ProgressBar::Mode m) { return set(progress_, m); }
  FitOptions& progress_stream(std::ostream* out) { return set(progress_stream_, out); }
  FitOptions& resume_from(autodiff::TrainingState state) {
    return set(resume_, std::optional<autodiff::TrainingState>(std::move(state)));
  }

  int epochs() const { return epochs_; }
  std::int64_t steps_per_epoch() const { return steps_per_epoch_; }
  const std::optional<data::Dataset>& validation() const { return validation_; }
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }
  std::uint64_t seed() const { return seed_; }
  ProgressBar::Mode progress() const { return progress_; }
  std::ostream* progress_stream() const { return progress_stream_; }
  const std::optional<autodiff::TrainingState>& resume() const { return resume_; }

 private:
  template <typename F, typename V>
  FitOptions& set(F& field, V value) {
    field = std::move(value);
    return *this;
  }
  int epochs_ = 1;
  std::int64_t steps_per_epoch_ = 0;  // 0: one pass of the dataset
  std::optional<data::Dataset> validation_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::uint64_t seed_ = 0;
  ProgressBar::Mode progress_ = ProgressBar::Mode::kAuto;
  std::ostream* progress_stream_ = nullptr;  // null: std::cerr
  std::optional<autodiff::TrainingState> resume_;
};

class Trainer {
 public:
  // The trainer keeps references: model, loss and optimizer must outlive it. Any built
  // model of one input and one output: Sequential, FunctionalModel, a subclass. Metrics
  // as metric_list.h takes them, reported in this order.
  Trainer(layers::Model& model, const losses::Loss& loss, autodiff::Optimizer& optimizer,
          const std::vector<MetricSpec>& metrics = {});

  History fit(const data::Dataset& train, const FitOptions& options = {});
  // Loss and metrics over one pass of `ds` (inference mode); epoch and timing fields
  // describe the pass. The training metrics' running numbers are left as they were.
  EpochLogs evaluate(const data::Dataset& ds);
  // The model's outputs for x [N, ...], batch_size examples at a time, concatenated.
  Tensor predict(const Tensor& x, std::int64_t batch_size = 32);

  // One training step on one (global) batch: returns the (reduced) loss. Public so
  // that a custom loop can mix its own steps with fit's bookkeeping.
  double train_step(const Tensor& x, const Tensor& y);

  Strategy& strategy() const { return strategy_; }

  // Graph mode (autodiff/graph/function.h): train_step traces its step once per batch
  // shape and replays it; results equal eager execution bitwise. Under a strategy of
  // several replicas each replica traces and replays a plan of its own, whose
  // optimizer node sums the replicas' gradients.
  void set_graph(bool on) { graph_ = on; }
  bool graph() const { return graph_; }
  // The traced step's plan, readable or as a Graphviz digraph (empty before the first
  // graph step).
  std::string graph_plan() const;
  std::string graph_dot() const;

  layers::Model& model() { return model_; }
  autodiff::Optimizer& optimizer() { return optimizer_; }
  const std::vector<std::shared_ptr<metrics::Metric>>& metrics() const { return metrics_; }
  // What fit logs per epoch: "loss", the metrics' names, "val_loss", "val_" + each.
  std::vector<std::string> logged_names() const;
  // Optimizer steps so far (resumed runs count from the checkpoint's step).
  std::int64_t step() const { return step_; }
  // Completed epochs (resumed runs count from the checkpoint's).
  int epoch() const { return epoch_; }
  // The training iterator's position, for checkpoints; empty outside fit().
  std::string iterator_state();
  // The state a checkpoint saves besides the weights (step, epoch, step within the
  // epoch, seed, iterator, the loss's and metrics' numbers).
  autodiff::TrainingState training_state();
  // Set by a callback to end fit() after the current epoch.
  bool stop_training = false;

 private:
  // Step, epoch, step within the epoch, seed and metric numbers from a checkpoint's
  // state; `steps` per epoch, or < 0 for one pass of unknown length.
  void restore(const autodiff::TrainingState& state, std::int64_t steps);
  void reset_metrics();
  NamedValues metric_values() const;  // {name, result} per metric
  double replicated_step(const Tensor& x, const Tensor& y);
  // Forward, loss, gradient and the optimizer's update on one replica: {loss, predictions}.
  std::vector<Tensor> one_replica_step(const Tensor& x, const Tensor& y, Generator* rng);
  // Drops the graph plans when the trainable variables or the local replicas changed.
  void forget_stale_plans(const std::vector<autodiff::Variable>& trainable, std::size_t replicas);
  // Every metric's numbers summed over the workers (Keras' metrics under a strategy).
  void sum_metrics_over_workers();

  Strategy& strategy_;
  layers::Model& model_;
  const losses::Loss& loss_;
  autodiff::Optimizer& optimizer_;
  std::vector<std::shared_ptr<metrics::Metric>> metrics_;
  metrics::Mean loss_tracker_{"loss"};  // the epoch's mean loss, weighted by examples
  std::int64_t step_ = 0;
  int epoch_ = 0;
  std::int64_t epoch_step_ = 0;  // steps of the current epoch done (a mid-epoch checkpoint saves it)
  std::uint64_t seed_ = 0;
  data::Iterator* train_iterator_ = nullptr;
  bool graph_ = false;
  std::unique_ptr<Function> graph_step_;
  Generator step_rng_{0};  // train_step's dropout generator: Generator(seed, step), reset per step
  struct ReplicaGraph {
    std::map<std::int64_t, Function> steps;  // by global batch size
    Generator rng{0};
  };
  std::vector<ReplicaGraph> graph_replicas_;  // one per local replica
  std::vector<const void*> graph_trainables_;  // the trainable variables the plans update
};

}  // namespace spool::distribute
