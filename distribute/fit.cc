#include "spool/distribute/fit.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>

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

}  // namespace

Trainer::Trainer(layers::Model& model, const losses::Loss& loss, autodiff::Optimizer& optimizer,
                 Accuracy accuracy)
    : model_(model),
      loss_(loss),
      optimizer_(optimizer),
      accuracy_kind_(accuracy),
      binary_accuracy_(0.5, accuracy == Accuracy::kBinaryFromLogits) {
  SPOOL_CHECK(model.built(), InvalidArgument, "Trainer: build model '", model.name(), "' before training it");
}

void Trainer::update_accuracy(const Tensor& y, const Tensor& predictions) {
  switch (accuracy_kind_) {
    case Accuracy::kNone: break;
    case Accuracy::kSparseCategorical: sparse_accuracy_.update(y, predictions); break;
    case Accuracy::kCategorical: categorical_accuracy_.update(y, predictions); break;
    case Accuracy::kBinary:
    case Accuracy::kBinaryFromLogits: binary_accuracy_.update(y, predictions); break;
  }
}

double Trainer::accuracy_result() const {
  switch (accuracy_kind_) {
    case Accuracy::kNone: return kNaN;
    case Accuracy::kSparseCategorical: return sparse_accuracy_.result();
    case Accuracy::kCategorical: return categorical_accuracy_.result();
    case Accuracy::kBinary:
    case Accuracy::kBinaryFromLogits: return binary_accuracy_.result();
  }
  return kNaN;
}

void Trainer::reset_accuracy() {
  sparse_accuracy_.reset();
  categorical_accuracy_.reset();
  binary_accuracy_.reset();
}

double Trainer::train_step(const Tensor& x, const Tensor& y) {
  // Dropout's masks depend on (seed, step) only: resumable and thread-count free.
  Generator rng(seed_, static_cast<std::uint64_t>(step_));
  const std::vector<autodiff::Variable> variables = model_.trainable_variables();
  Tensor predictions, loss;
  std::vector<Tensor> grads;
  {
    autodiff::GradientTape tape;
    predictions = model_(x, {.training = true, .rng = &rng});
    loss = loss_(y, predictions);
    grads = tape.gradient(loss, std::span<const autodiff::Variable>(variables));
  }
  optimizer_.apply_gradients(grads, variables);
  ++step_;
  update_accuracy(y, predictions);
  return loss.item_as_double();
}

void Trainer::restore_position(const autodiff::TrainingState& state, std::int64_t steps) {
  const auto number = [&](const char* key, std::uint64_t otherwise) -> std::uint64_t {
    const auto found = state.metadata.find(key);
    if (found == state.metadata.end()) return otherwise;
    std::uint64_t v = 0;
    const std::string& text = found->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
    SPOOL_CHECK(error == std::errc() && end == text.data() + text.size(), InvalidArgument, "fit: the checkpoint's ",
                key, " is '", text, "', not a number");
    return v;
  };
  step_ = state.step;
  epoch_ = static_cast<int>(number("epoch", static_cast<std::uint64_t>(step_ / steps)));
  // A checkpoint taken mid-epoch (ModelCheckpoint every_steps) resumes mid-epoch.
  epoch_step_ = static_cast<std::int64_t>(number("epoch_step", 0));
  seed_ = number("seed", seed_);
  SPOOL_CHECK(epoch_ >= 0 && epoch_step_ >= 0 && epoch_step_ <= steps, InvalidArgument,
              "fit: the checkpoint is at epoch ", epoch_, " step ", epoch_step_,
              " of it, which does not fit epochs of ", steps, " steps");
}

History Trainer::fit(const data::Dataset& train, const FitOptions& options) {
  SPOOL_CHECK(options.epochs() >= 1, InvalidArgument, "fit: epochs must be at least 1, got ", options.epochs());
  std::int64_t steps = options.steps_per_epoch();
  if (steps <= 0) steps = train.cardinality();
  SPOOL_CHECK(steps > 0, InvalidArgument,
              "fit: the training dataset's cardinality is unknown or infinite; say how many batches make an "
              "epoch with FitOptions::steps_per_epoch");
  seed_ = options.seed();
  // Without resume_from, fit trains options.epochs() epochs again, as a second
  // model.fit in Keras does; the step count (the optimizer's) goes on.
  epoch_ = 0;
  epoch_step_ = 0;
  const std::optional<autodiff::TrainingState>& resume = options.resume();
  if (resume) restore_position(*resume, steps);
  const data::Dataset forever = train.repeat();
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
  stop_training = false;
  History history;
  for (const auto& c : options.callbacks()) c->on_train_begin(*this);
  while (epoch_ < options.epochs() && !stop_training) {
    const auto start = std::chrono::steady_clock::now();
    if (options.progress() != ProgressBar::Mode::kSilent) {
      out << "Epoch " << epoch_ + 1 << "/" << options.epochs() << "\n" << std::flush;
    }
    ProgressBar bar(out, steps, options.progress());
    metrics::Mean mean_loss;
    reset_accuracy();
    EpochLogs logs;
    for (std::int64_t s = epoch_step_; s < steps; ++s) {
      std::optional<data::Element> batch = it.next();
      SPOOL_CHECK(batch.has_value(), InvalidArgument, "fit: the training dataset ended after ", s,
                  " batches of epoch ", epoch_ + 1, "; it must yield at least one batch");
      auto [x, y] = features_and_labels(*batch, "fit");
      const double batch_loss = train_step(x, y);
      epoch_step_ = s + 1;
      const auto n = x.shape().rank() > 0 ? x.shape()[0] : 1;
      mean_loss.update(batch_loss, static_cast<double>(n));
      logs.examples += n;
      NamedValues running{{"loss", mean_loss.result()}};
      if (accuracy_kind_ != Accuracy::kNone) running.emplace_back("accuracy", accuracy_result());
      bar.update(s + 1, running);
      for (const auto& c : options.callbacks()) c->on_batch_end(step_, *this);
    }
    const double train_seconds = seconds_since(start);
    ++epoch_;
    epoch_step_ = 0;
    logs.epoch = epoch_;
    logs.step = step_;
    // A resumed epoch whose steps were all done before the checkpoint measured nothing.
    logs.loss = logs.examples > 0 ? mean_loss.result() : kNaN;
    logs.accuracy = logs.examples > 0 ? accuracy_result() : kNaN;
    logs.examples_per_sec = train_seconds > 0 ? static_cast<double>(logs.examples) / train_seconds : 0;
    logs.val_loss = logs.val_accuracy = kNaN;
    NamedValues shown{{"loss", logs.loss}};
    if (accuracy_kind_ != Accuracy::kNone) shown.emplace_back("accuracy", logs.accuracy);
    if (options.validation()) {
      const EpochLogs v = evaluate(*options.validation());
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
      shown.emplace_back("val_loss", logs.val_loss);
      if (accuracy_kind_ != Accuracy::kNone) shown.emplace_back("val_accuracy", logs.val_accuracy);
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
  // Evaluation must not disturb the running training accuracy: keep and restore it.
  const auto saved_sparse = sparse_accuracy_;
  const auto saved_categorical = categorical_accuracy_;
  const auto saved_binary = binary_accuracy_;
  reset_accuracy();
  EpochLogs logs;
  for (const data::Element& batch : ds) {
    auto [x, y] = features_and_labels(batch, "evaluate");
    const Tensor predictions = model_(x, {.training = false});
    const auto n = x.shape().rank() > 0 ? x.shape()[0] : 1;
    mean_loss.update(loss_(y, predictions).item_as_double(), static_cast<double>(n));
    update_accuracy(y, predictions);
    logs.examples += n;
  }
  logs.loss = logs.examples > 0 ? mean_loss.result() : kNaN;
  logs.accuracy = logs.examples > 0 ? accuracy_result() : kNaN;
  logs.val_loss = logs.val_accuracy = kNaN;
  logs.epoch = epoch_;
  logs.step = step_;
  logs.seconds = seconds_since(start);
  logs.examples_per_sec = logs.seconds > 0 ? static_cast<double>(logs.examples) / logs.seconds : 0;
  sparse_accuracy_ = saved_sparse;
  categorical_accuracy_ = saved_categorical;
  binary_accuracy_ = saved_binary;
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
  state.iterator_state = iterator_state();
  state.metadata["epoch"] = std::to_string(epoch_);
  state.metadata["epoch_step"] = std::to_string(epoch_step_);
  state.metadata["seed"] = std::to_string(seed_);
  return state;
}

}  // namespace spool::distribute
