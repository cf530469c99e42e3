#include "spool/distribute/callbacks.h"

#include <charconv>
#include <cmath>
#include <fstream>

#include "spool/autodiff/checkpoint.h"
#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

bool is_known(const std::string& name) {
  return name == "loss" || name == "accuracy" || name == "val_loss" || name == "val_accuracy";
}

std::string check_monitor(std::string name, const char* who) {
  SPOOL_CHECK(is_known(name), InvalidArgument, who, ": cannot monitor '", name,
              "'; known: loss, accuracy, val_loss, val_accuracy");
  return name;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, result.ptr);
}

}  // namespace

double monitored_value(const EpochLogs& logs, const std::string& name) {
  if (name == "loss") return logs.loss;
  if (name == "accuracy") return logs.accuracy;
  if (name == "val_loss") return logs.val_loss;
  if (name == "val_accuracy") return logs.val_accuracy;
  SPOOL_THROW(InvalidArgument, "no logged value named '", name, "'; known: loss, accuracy, val_loss, val_accuracy");
}

EarlyStopping::EarlyStopping(std::string monitor, int patience, double min_delta)
    : monitor_(check_monitor(std::move(monitor), "EarlyStopping")),
      patience_(patience),
      min_delta_(std::abs(min_delta)),
      lower_is_better_(monitor_.find("loss") != std::string::npos) {
  SPOOL_CHECK(patience >= 0, InvalidArgument, "EarlyStopping: patience must be >= 0, got ", patience);
}

void EarlyStopping::on_train_begin(Trainer&) {
  seen_ = false;
  waited_ = 0;
  stopped_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(const EpochLogs& logs, Trainer& trainer) {
  const double v = monitored_value(logs, monitor_);
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
    : target_(target), monitor_(check_monitor(std::move(monitor), "StopAtAccuracy")) {
  // A loss "reaching" a target from below would stop at once: only accuracies go up.
  SPOOL_CHECK(monitor_.find("accuracy") != std::string::npos, InvalidArgument, "StopAtAccuracy: monitors ",
              "accuracy or val_accuracy, not '", monitor_, "'");
}

void StopAtAccuracy::on_epoch_end(const EpochLogs& logs, Trainer& trainer) {
  if (monitored_value(logs, monitor_) >= target_) {
    reached_ = true;
    trainer.stop_training = true;
  }
}

ModelCheckpoint::ModelCheckpoint(std::string dir, std::int64_t every_steps, std::map<std::string, std::string> metadata)
    : dir_(std::move(dir)), every_steps_(every_steps), metadata_(std::move(metadata)) {
  SPOOL_CHECK(every_steps >= 0, InvalidArgument, "ModelCheckpoint: every_steps must be >= 0, got ", every_steps);
}

void ModelCheckpoint::save(Trainer& trainer) {
  autodiff::TrainingState state = trainer.training_state();
  state.metadata.insert(metadata_.begin(), metadata_.end());
  autodiff::save_checkpoint(dir_, trainer.model().variables(), &trainer.optimizer(), state);
}

void ModelCheckpoint::on_batch_end(std::int64_t step, Trainer& trainer) {
  if (every_steps_ > 0 && step % every_steps_ == 0) save(trainer);
}

void ModelCheckpoint::on_epoch_end(const EpochLogs&, Trainer& trainer) { save(trainer); }

std::string epoch_logs_json(const EpochLogs& logs) {
  return "{\"epoch\":" + std::to_string(logs.epoch) + ",\"loss\":" + json_number(logs.loss) +
         ",\"accuracy\":" + json_number(logs.accuracy) + ",\"val_loss\":" + json_number(logs.val_loss) +
         ",\"val_accuracy\":" + json_number(logs.val_accuracy) +
         ",\"examples_per_sec\":" + json_number(logs.examples_per_sec) + ",\"seconds\":" + json_number(logs.seconds) +
         ",\"step\":" + std::to_string(logs.step) + "}";
}

MetricsJsonl::MetricsJsonl(std::string path, bool append) : path_(std::move(path)), append_(append) {}

void MetricsJsonl::on_train_begin(Trainer&) {
  if (append_) return;
  std::ofstream out(path_, std::ios::trunc);
  SPOOL_CHECK(out.good(), IoError, "cannot write metrics file ", quoted(path_));
}

void MetricsJsonl::on_epoch_end(const EpochLogs& logs, Trainer&) {
  std::ofstream out(path_, std::ios::app);
  out << epoch_logs_json(logs) << '\n';
  out.flush();
  SPOOL_CHECK(out.good(), IoError, "cannot append to metrics file ", quoted(path_));
}

}  // namespace spool::distribute
