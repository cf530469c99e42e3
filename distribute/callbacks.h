// The callbacks fit() users reach for first, as Keras names them:
//
//   FitOptions()
//       .callback(std::make_shared<EarlyStopping>("val_loss", /*patience=*/2))
//       .callback(std::make_shared<StopAtAccuracy>(0.95))        // the course's classic
//       .callback(std::make_shared<ModelCheckpoint>("run/ckpt"))  // every epoch, resumable
//       .callback(std::make_shared<MetricsJsonl>("run/metrics.jsonl"));
//
// Monitored names: "loss", "accuracy", "val_loss", "val_accuracy"; an unknown name is
// an InvalidArgument when the callback is made. A NaN (no validation data) never
// improves and never reaches a target.
// Thread-safety: called from the fit loop's thread only.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "spool/distribute/fit.h"

namespace spool::distribute {

// The value of `name` in `logs` (names above).
double monitored_value(const EpochLogs& logs, const std::string& name);

// Stops when the monitored value has not improved by more than min_delta for
// `patience` epochs in a row (as Keras: 0 and 1 both stop at the first such epoch);
// "loss"-like names improve downwards, accuracies upwards.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(std::string monitor = "val_loss", int patience = 0, double min_delta = 0);
  void on_train_begin(Trainer&) override;
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;
  int stopped_epoch() const { return stopped_epoch_; }  // 0: did not stop

 private:
  std::string monitor_;
  int patience_;
  double min_delta_;
  bool lower_is_better_;
  double best_ = 0;
  int waited_ = 0;
  bool seen_ = false;
  int stopped_epoch_ = 0;
};

// Stops once the monitored accuracy ("accuracy" or "val_accuracy"; a loss is an
// InvalidArgument) reaches `target` (the course's myCallback:
// "Reached 95% accuracy so cancelling training!").
class StopAtAccuracy : public Callback {
 public:
  explicit StopAtAccuracy(double target, std::string monitor = "accuracy");
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;
  bool reached() const { return reached_; }

 private:
  double target_;
  std::string monitor_;
  bool reached_ = false;
};

// Saves weights, optimizer state, step, epoch, step within the epoch, seed and the
// training iterator's position to DIR (autodiff::save_checkpoint) at the end of every
// epoch, and every `every_steps` steps when that is > 0, so a killed run resumes where
// the last save was, in the middle of an epoch too.
// `metadata` is saved beside the trainer's own (what the model is, say).
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string dir, std::int64_t every_steps = 0,
                           std::map<std::string, std::string> metadata = {});
  void on_batch_end(std::int64_t step, Trainer& trainer) override;
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;
  void save(Trainer& trainer);

 private:
  std::string dir_;
  std::int64_t every_steps_;
  std::map<std::string, std::string> metadata_;
};

// Appends one JSON object per epoch to a file (JSON Lines), written and flushed at
// each epoch's end: {"epoch":1,"loss":…,"accuracy":…,"val_loss":…,"val_accuracy":…,
// "examples_per_sec":…,"seconds":…,"step":…}. Values that are not finite are null.
class MetricsJsonl : public Callback {
 public:
  // append=false starts the file afresh.
  explicit MetricsJsonl(std::string path, bool append = false);
  void on_train_begin(Trainer&) override;
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;

 private:
  std::string path_;
  bool append_;
};

// One JSON line for logs (what MetricsJsonl writes), without the newline.
std::string epoch_logs_json(const EpochLogs& logs);

}  // namespace spool::distribute
