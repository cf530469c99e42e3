#include "spool/distribute/fit.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <utility>

#include "spool/autodiff/losses.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/error.h"
#include "spool/tensor/random.h"

namespace spool::distribute {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Features and labels of a batch, with a message naming what is missing.
std::pair<const Tensor&, const Tensor&> features_and_labels(const data::Element& batch, const char* where) {
  SPOOL_CHECK(batch.size() >= 2, InvalidArgument, where, ": a batch needs features and labels (2 components), got ",
              batch.size());
  return {batch[0], batch[1]};
}

// One pass of `train`, then an element with no components (a batch has at least two),
// over and over: the end marks tell fit where a pass of unknown length ends, while
// repeat() numbers the passes as in train.repeat() (a shuffle inside reshuffles per pass
// alike) and the one iterator's state spans the epoch boundaries, so that a checkpoint
// taken anywhere resumes exactly.
data::Dataset passes_with_end_marks(const data::Dataset& train) {
  const data::Dataset end_mark = data::Dataset::from_generator(
      [] {
        return [done = false]() mutable -> std::optional<data::Element> {
          if (std::exchange(done, true)) return std::nullopt;
          return data::Element();
        };
      },
      1);
  return data::Dataset::range(2)
      .interleave([train, end_mark](const data::Element& e) { return e[0].item<std::int64_t>() == 0 ? train : end_mark; },
                  data::InterleaveOptions().cycle_length(1))
      .repeat()
      .with_options(train.options());
}

}  // namespace

Trainer::Trainer(layers::Model& model, const losses::Loss& loss, autodiff::Optimizer& optimizer,
                 const std::vector<MetricSpec>& metrics)
    : strategy_(get_strategy()),
      model_(model),
      loss_(loss),
      optimizer_(optimizer),
      metrics_(resolve_metrics(metrics, loss)) {
  SPOOL_CHECK(model.built(), InvalidArgument, "Trainer: build model '", model.name(), "' before training it");
}

std::vector<std::string> Trainer::logged_names() const {
  std::vector<std::string> names{"loss"};
  for (const auto& m : metrics_) names.push_back(m->name());
  names.push_back("val_loss");
  for (const auto& m : metrics_) names.push_back("val_" + m->name());
  return names;
}

void Trainer::reset_metrics() {
  loss_tracker_.reset();
  for (const auto& m : metrics_) m->reset();
}

NamedValues Trainer::metric_values() const {
  NamedValues values;
  for (const auto& m : metrics_) values.emplace_back(m->name(), m->result());
  return values;
}

double Trainer::train_step(const Tensor& x, const Tensor& y) {
  if (strategy_.num_replicas_in_sync() > 1) return replicated_step(x, y);
  // Dropout's masks depend on (seed, step) only: resumable and thread-count free. A
  // traced step's dropout reads the generator through a pointer, so it is a member.
  step_rng_ = Generator(seed_, static_cast<std::uint64_t>(step_));
  std::vector<Tensor> out;  // loss, predictions
  if (graph_) {
    forget_stale_plans(model_.trainable_variables(), 0);
    if (graph_step_ == nullptr) {
      graph_step_ = std::make_unique<Function>(
          [this](std::span<const Tensor> in) { return one_replica_step(in[0], in[1], &step_rng_); },
          FunctionOptions().name("train_step"));
    }
    out = (*graph_step_)({x, y});
  } else {
    out = one_replica_step(x, y, &step_rng_);
  }
  ++step_;
  for (const auto& m : metrics_) m->update(y, out[1], Tensor());
  return out[0].item_as_double();
}

std::vector<Tensor> Trainer::one_replica_step(const Tensor& x, const Tensor& y, Generator* rng) {
  const std::vector<autodiff::Variable> variables = model_.trainable_variables();
  Tensor predictions, loss;
  std::vector<Tensor> grads;
  {
    autodiff::GradientTape tape;
    predictions = model_(x, {.training = true, .rng = rng});
    loss = loss_(y, predictions);
    grads = tape.gradient(loss, std::span<const autodiff::Variable>(variables));
  }
  optimizer_.apply_gradients(grads, variables);
  return {loss, predictions};
}

void Trainer::forget_stale_plans(const std::vector<autodiff::Variable>& trainable, std::size_t replicas) {
  // A plan updates the variables that were trainable at its trace: freezing or
  // unfreezing a layer since then needs new plans.
  std::vector<const void*> identities;
  for (const autodiff::Variable& v : trainable) identities.push_back(v.unwatched_value().raw_data());
  if (identities == graph_trainables_ && graph_replicas_.size() == replicas) return;
  graph_step_.reset();
  graph_replicas_.clear();
  graph_replicas_.resize(replicas);
  graph_trainables_ = std::move(identities);
}

std::string Trainer::graph_plan() const { return graph_step_ ? graph_step_->graph() : std::string(); }
std::string Trainer::graph_dot() const { return graph_step_ ? graph_step_->dot() : std::string(); }

double Trainer::replicated_step(const Tensor& x, const Tensor& y) {
  const DistributedBatch batch = strategy_.split(data::Element{x, y});
  const std::vector<autodiff::Variable> variables = model_.trainable_variables();
  const int first = strategy_.worker_rank() * strategy_.local_replicas();
  std::vector<Tensor> predictions(static_cast<std::size_t>(strategy_.local_replicas()));
  if (graph_) forget_stale_plans(variables, predictions.size());
  const PerReplica losses = strategy_.run(
      [&](const ReplicaContext& context, const data::Element& part) -> Tensor {
        const int id = context.replica_id_in_sync_group();
        if (part.size() < 2 || part[0].dim(0) == 0) {
          // No rows for this replica (a batch smaller than the replicas): it still
          // takes part in the gradient sum, with nothing to add.
          optimizer_.apply_gradients(std::vector<Tensor>(variables.size()), variables);
          return Tensor::scalar<double>(0.0);
        }
        const std::int64_t global_batch = context.global_batch_size();
        // One replica's step; the optimizer's update sums the replicas' gradients.
        // (Kept by a traced replica's Function past this call: captures by value.)
        const auto step = [this, variables, global_batch](const Tensor& px, const Tensor& py,
                                                          Generator* rng) -> std::vector<Tensor> {
          autodiff::GradientTape tape;
          Tensor p = model_(px, {.training = true, .rng = rng});
          const Tensor per_example = loss_.per_example(py, p);
          const Tensor loss = loss_.options().reduction() == losses::Reduction::kSumOverBatchSize
                                  ? losses::compute_average_loss(per_example, global_batch)
                                  : losses::reduce_loss(per_example, losses::Reduction::kSum);
          const std::vector<Tensor> grads = tape.gradient(loss, std::span<const autodiff::Variable>(variables));
          optimizer_.apply_gradients(grads, variables);
          return {loss, p};
        };
        // Dropout masks from (seed, step, replica): resumable, distinct per replica.
        const Generator rng = Generator(seed_, static_cast<std::uint64_t>(step_)).fork(static_cast<std::uint64_t>(id));
        std::vector<Tensor> out;
        if (graph_) {
          // Each replica replays a plan of its own on its own thread; the all-reduce
          // is a node of it (the optimizer's update). The global batch is a constant
          // of a plan, so each size has its plan.
          ReplicaGraph& g = graph_replicas_[static_cast<std::size_t>(id - first)];
          g.rng = rng;
          auto it = g.steps.find(global_batch);
          if (it == g.steps.end()) {
            it = g.steps.emplace(global_batch, Function([step, rng = &g.rng](std::span<const Tensor> in) {
                                   return step(in[0], in[1], rng);
                                 }, FunctionOptions().name("replica_step"))).first;
          }
          out = it->second({part[0], part[1]});
        } else {
          Generator local = rng;
          out = step(part[0], part[1], &local);
        }
        predictions[static_cast<std::size_t>(id - first)] = out[1];
        return out[0].cast(DType::kF64);
      },
      batch);
  ++step_;
  for (std::size_t r = 0; r < predictions.size(); ++r) {
    if (!predictions[r].defined()) continue;
    for (const auto& m : metrics_) m->update(batch.parts[r][1], predictions[r], Tensor());
  }
  return strategy_.reduce(ReduceOp::kSum, losses).item_as_double();
}

void Trainer::sum_metrics_over_workers() {
  if (strategy_.workers().size() == 1) return;
  for (const auto& m : metrics_) {
    std::vector<NamedTensor> state = m->state();
    std::vector<double> values;
    for (const auto& t : state) {
      const Tensor v = t.tensor.cast(DType::kF64).contiguous();
      values.insert(values.end(), v.data<double>(), v.data<double>() + v.numel());
    }
    strategy_.workers().all_reduce_sum(std::span<double>(values));
    std::size_t at = 0;
    for (auto& t : state) {
      std::vector<double> part(values.begin() + static_cast<std::ptrdiff_t>(at),
                               values.begin() + static_cast<std::ptrdiff_t>(at + t.tensor.numel()));
      at += static_cast<std::size_t>(t.tensor.numel());
      t.tensor = Tensor::from_vector(part, t.tensor.shape()).cast(t.tensor.dtype());
    }
    m->load_state(state);
  }
}

void Trainer::restore(const autodiff::TrainingState& state, std::int64_t steps) {
  SPOOL_CHECK(state.epoch >= 0 && state.epoch <= std::numeric_limits<int>::max(), InvalidArgument,
              "fit: the checkpoint's epoch ", state.epoch, " is out of range");
  SPOOL_CHECK(state.epoch_step >= 0 && (steps < 0 || state.epoch_step <= steps), InvalidArgument,
              "fit: the checkpoint is at epoch ", state.epoch, " step ", state.epoch_step,
              " of it, which does not fit epochs of ", steps, " steps");
  step_ = state.step;
  epoch_ = static_cast<int>(state.epoch);
  // A checkpoint taken mid-epoch (ModelCheckpoint every_steps) resumes mid-epoch, with
  // the numbers the epoch's loss and metrics had (a checkpoint without them: from zero).
  epoch_step_ = state.epoch_step;
  seed_ = state.seed;
  autodiff::restore_metric(state, loss_tracker_);
  for (const auto& m : metrics_) autodiff::restore_metric(state, *m);
}

History Trainer::fit(const data::Dataset& train, const FitOptions& options) {
  SPOOL_CHECK(options.epochs() >= 1, InvalidArgument, "fit: epochs must be at least 1, got ", options.epochs());
  std::int64_t steps = options.steps_per_epoch();
  if (steps <= 0) steps = train.cardinality();
  SPOOL_CHECK(steps != data::kInfiniteCardinality, InvalidArgument,
              "fit: the training dataset is infinite; say how many batches make an epoch with "
              "FitOptions::steps_per_epoch");
  SPOOL_CHECK(steps != 0, InvalidArgument, "fit: the training dataset is empty (cardinality 0)");
  const bool whole_passes = steps == data::kUnknownCardinality;  // an epoch ends with the data
  seed_ = options.seed();
  // Without resume_from, fit trains options.epochs() epochs again, as a second
  // model.fit in Keras does; the step count (the optimizer's) goes on.
  epoch_ = 0;
  epoch_step_ = 0;
  reset_metrics();
  const std::optional<autodiff::TrainingState>& resume = options.resume();
  if (resume) restore(*resume, steps);
  const data::Dataset forever = whole_passes ? passes_with_end_marks(train) : train.repeat();
  // One iterator only: one made and then replaced would already be filling shuffle
  // buffers and caches on its prefetch thread.
  data::Iterator it = resume && !resume->iterator_state.empty()
                          ? forever.make_iterator(data::IteratorState::from_bytes(resume->iterator_state, "checkpoint"))
                          : forever.make_iterator();
  train_iterator_ = &it;
  struct Reset {  // fit's iterator dies with this call
    data::Iterator*& p;
    ~Reset() { p = nullptr; }
  } reset{train_iterator_};

  std::ostream& out = options.progress_stream() ? *options.progress_stream() : std::cerr;
  // Worker 0 alone prints; every worker starts from worker 0's weights.
  const ProgressBar::Mode progress = strategy_.is_chief() ? options.progress() : ProgressBar::Mode::kSilent;
  strategy_.broadcast_variables(model_.variables());
  if (strategy_.num_replicas_in_sync() > 1 && progress != ProgressBar::Mode::kSilent) {
    out << strategy_.describe() << "; each global batch is split among them\n" << std::flush;
  }
  stop_training = false;
  History history;
  for (const auto& c : options.callbacks()) c->on_train_begin(*this);
  while (epoch_ < options.epochs() && !stop_training) {
    const auto start = std::chrono::steady_clock::now();
    if (progress != ProgressBar::Mode::kSilent) {
      out << "Epoch " << epoch_ + 1 << "/" << options.epochs() << "\n" << std::flush;
    }
    ProgressBar bar(out, steps, progress);
    if (epoch_step_ == 0) reset_metrics();  // else a resumed epoch goes on with its numbers
    EpochLogs logs;
    for (std::int64_t s = epoch_step_; whole_passes || s < steps; ++s) {
      std::optional<data::Element> batch = it.next();
      const bool pass_ended = batch && batch->size() == 0;  // passes_with_end_marks' mark
      SPOOL_CHECK(batch.has_value() && !(pass_ended && s == 0), InvalidArgument, "fit: the training dataset ended after ",
                  s, " batches of epoch ", epoch_ + 1, "; it must yield at least one batch");
      if (pass_ended) break;
      auto [x, y] = features_and_labels(*batch, "fit");
      const double batch_loss = train_step(x, y);
      epoch_step_ = s + 1;
      const auto n = x.shape().rank() > 0 ? x.shape()[0] : 1;
      loss_tracker_.update(batch_loss, static_cast<double>(n));
      logs.examples += n;
      NamedValues running{{"loss", loss_tracker_.result()}};
      for (auto& v : metric_values()) running.push_back(std::move(v));
      bar.update(s + 1, running);
      for (const auto& c : options.callbacks()) c->on_batch_end(step_, *this);
    }
    const double train_seconds = seconds_since(start);
    ++epoch_;
    epoch_step_ = 0;
    logs.epoch = epoch_;
    logs.step = step_;
    // A resumed epoch whose steps were all done before a checkpoint without the
    // metrics' numbers hold no value yet.
    sum_metrics_over_workers();
    const bool measured = loss_tracker_.count() > 0;
    logs.loss = measured ? loss_tracker_.result() : kNaN;
    logs.metrics = metric_values();
    if (!measured) {
      for (auto& [name, v] : logs.metrics) v = kNaN;
    }
    logs.examples_per_sec = train_seconds > 0 ? static_cast<double>(logs.examples) / train_seconds : 0;
    logs.val_loss = kNaN;
    for (const auto& m : metrics_) logs.val_metrics.emplace_back("val_" + m->name(), kNaN);
    NamedValues shown{{"loss", logs.loss}};
    shown.insert(shown.end(), logs.metrics.begin(), logs.metrics.end());
    if (options.validation()) {
      const EpochLogs v = evaluate(*options.validation());
      logs.val_loss = v.loss;
      for (std::size_t i = 0; i < v.metrics.size(); ++i) logs.val_metrics[i].second = v.metrics[i].second;
      shown.emplace_back("val_loss", logs.val_loss);
      shown.insert(shown.end(), logs.val_metrics.begin(), logs.val_metrics.end());
    }
    logs.seconds = seconds_since(start);
    bar.finish(shown);
    history.epochs.push_back(logs);
    for (const auto& c : options.callbacks()) c->on_epoch_end(logs, *this);
  }
  for (const auto& c : options.callbacks()) c->on_train_end(history, *this);
  return history;
}

EpochLogs Trainer::evaluate(const data::Dataset& ds) {
  const auto start = std::chrono::steady_clock::now();
  metrics::Mean mean_loss;
  // Evaluation must not disturb the running training metrics: keep and restore them.
  std::vector<std::vector<NamedTensor>> saved;
  for (const auto& m : metrics_) {
    saved.push_back(m->state());
    m->reset();
  }
  EpochLogs logs;
  for (const data::Element& batch : ds) {
    auto [x, y] = features_and_labels(batch, "evaluate");
    const Tensor predictions = model_(x, {.training = false});
    const auto n = x.shape().rank() > 0 ? x.shape()[0] : 1;
    mean_loss.update(loss_(y, predictions).item_as_double(), static_cast<double>(n));
    for (const auto& m : metrics_) m->update(y, predictions, Tensor());
    logs.examples += n;
  }
  logs.loss = logs.examples > 0 ? mean_loss.result() : kNaN;
  logs.metrics = metric_values();
  if (logs.examples == 0) {
    for (auto& [name, v] : logs.metrics) v = kNaN;
  }
  logs.val_loss = kNaN;
  logs.epoch = epoch_;
  logs.step = step_;
  logs.seconds = seconds_since(start);
  logs.examples_per_sec = logs.seconds > 0 ? static_cast<double>(logs.examples) / logs.seconds : 0;
  for (std::size_t i = 0; i < metrics_.size(); ++i) metrics_[i]->load_state(saved[i]);
  return logs;
}

Tensor Trainer::predict(const Tensor& x, std::int64_t batch_size) {
  SPOOL_CHECK(batch_size >= 1, InvalidArgument, "predict: batch_size must be at least 1, got ", batch_size);
  SPOOL_CHECK(x.shape().rank() >= 1, InvalidArgument, "predict: x needs a batch axis, got shape ",
              x.shape().to_string());
  const std::int64_t n = x.shape()[0];
  std::vector<Tensor> parts;
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const std::int64_t end = std::min(n, begin + batch_size);
    parts.push_back(model_(x.slice(0, begin, end), {.training = false}));
  }
  if (parts.empty()) return model_(x, {.training = false});
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

std::string Trainer::iterator_state() { return train_iterator_ ? train_iterator_->save().bytes() : std::string(); }

autodiff::TrainingState Trainer::training_state() {
  autodiff::TrainingState state;
  state.step = step_;
  state.epoch = epoch_;
  state.epoch_step = epoch_step_;
  state.seed = seed_;
  state.iterator_state = iterator_state();
  autodiff::save_metric(state, loss_tracker_);
  for (const auto& m : metrics_) autodiff::save_metric(state, *m);
  return state;
}

}  // namespace spool::distribute
