#include "spool/distribute/callbacks.h"

#include <algorithm>
#include <cmath>

#include "spool/autodiff/checkpoint.h"
#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

// Throws unless the trainer logs `name`.
void check_logged(const std::string& name, const Trainer& trainer, const char* who) {
  const std::vector<std::string> names = trainer.logged_names();
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  SPOOL_CHECK(std::find(names.begin(), names.end(), name) != names.end(), InvalidArgument, who, ": cannot monitor '",
              name, "'; the trainer logs ", known);
}

}  // namespace

EarlyStopping::EarlyStopping(std::string monitor, int patience, double min_delta)
    : monitor_(std::move(monitor)),
      patience_(patience),
      min_delta_(std::abs(min_delta)),
      lower_is_better_(monitor_.find("loss") != std::string::npos) {
  SPOOL_CHECK(patience >= 0, InvalidArgument, "EarlyStopping: patience must be >= 0, got ", patience);
}

void EarlyStopping::on_train_begin(Trainer& trainer) {
  check_logged(monitor_, trainer, "EarlyStopping");
  seen_ = false;
  waited_ = 0;
  stopped_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(const EpochLogs& logs, Trainer& trainer) {
  const double v = logs.value(monitor_);
  const bool improved = std::isfinite(v) && (!seen_ || (lower_is_better_ ? v < best_ - min_delta_ : v > best_ + min_delta_));
  if (improved) {
    best_ = v;
    seen_ = true;
    waited_ = 0;
    return;
  }
  // Keras counts the epoch without improvement itself: patience 2 stops at the second
  // such epoch in a row (0 and 1 both stop at the first).
  if (++waited_ >= patience_) {
    trainer.stop_training = true;
    stopped_epoch_ = logs.epoch;
  }
}

StopAtAccuracy::StopAtAccuracy(double target, std::string monitor)
    : target_(target), monitor_(std::move(monitor)) {
  // A loss "reaching" a target from below would stop at once: only accuracies go up.
  SPOOL_CHECK(monitor_.find("accuracy") != std::string::npos, InvalidArgument,
              "StopAtAccuracy: monitors an accuracy (accuracy, val_accuracy, ...), not '", monitor_, "'");
}

void StopAtAccuracy::on_train_begin(Trainer& trainer) { check_logged(monitor_, trainer, "StopAtAccuracy"); }

void StopAtAccuracy::on_epoch_end(const EpochLogs& logs, Trainer& trainer) {
  if (logs.value(monitor_) >= target_) {
    reached_ = true;
    trainer.stop_training = true;
  }
}

ModelCheckpoint::ModelCheckpoint(std::string dir, std::int64_t every_steps, autodiff::RunInfo info)
    : dir_(std::move(dir)), every_steps_(every_steps), info_(std::move(info)) {
  SPOOL_CHECK(every_steps >= 0, InvalidArgument, "ModelCheckpoint: every_steps must be >= 0, got ", every_steps);
}

void ModelCheckpoint::save(Trainer& trainer) {
  if (!trainer.strategy().is_chief()) return;  // one copy of the job's state, by worker 0
  autodiff::TrainingState state = trainer.training_state();
  state.info = info_;
  autodiff::save_checkpoint(dir_, trainer.model().variables(), &trainer.optimizer(), state);
}

void ModelCheckpoint::on_batch_end(std::int64_t step, Trainer& trainer) {
  if (every_steps_ > 0 && step % every_steps_ == 0) save(trainer);
}

void ModelCheckpoint::on_epoch_end(const EpochLogs&, Trainer& trainer) { save(trainer); }

}  // namespace spool::distribute
