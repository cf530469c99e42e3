// The callbacks fit() users reach for first, as Keras names them:
//
//   FitOptions()
//       .callback(std::make_shared<EarlyStopping>("val_loss", /*patience=*/2))
//       .callback(std::make_shared<StopAtAccuracy>(0.95))        // the course's classic
//       .callback(std::make_shared<ModelCheckpoint>("run/ckpt"))  // every epoch, resumable
//       .callback(std::make_shared<MetricsJsonl>("run/metrics.jsonl"));   // metrics_jsonl.h
//
// Monitored names: any the trainer logs (Trainer::logged_names(): "loss", each metric's
// name, "val_loss", "val_" + each); a name it does not log is an InvalidArgument when
// fit starts. A NaN (no validation data) never improves and never reaches a target.
// Thread-safety: called from the fit loop's thread only.
#pragma once

#include <cstdint>
#include <string>

#include "spool/autodiff/training_state.h"
#include "spool/distribute/fit.h"
#include "spool/distribute/metrics_jsonl.h"

namespace spool::distribute {

// Stops when the monitored value has not improved by more than min_delta for
// `patience` epochs in a row (as Keras: 0 and 1 both stop at the first such epoch);
// names with "loss" in them improve downwards, all others (accuracies) upwards.
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

// Stops once the monitored accuracy (a logged name with "accuracy" in it; another is an
// InvalidArgument) reaches `target` (the course's myCallback:
// "Reached 95% accuracy so cancelling training!").
class StopAtAccuracy : public Callback {
 public:
  explicit StopAtAccuracy(double target, std::string monitor = "accuracy");
  void on_train_begin(Trainer& trainer) override;
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;
  bool reached() const { return reached_; }

 private:
  double target_;
  std::string monitor_;
  bool reached_ = false;
};

// Saves weights, optimizer state and Trainer::training_state() (step, epoch, step
// within the epoch, seed, the training iterator's position, the loss's and metrics'
// numbers) to DIR (autodiff::save_checkpoint) at the end of every epoch, and every
// `every_steps` steps when that is > 0, so a killed run resumes where the last save
// was, in the middle of an epoch too. `info` (what the model is, say) is saved with it.
// Under a strategy of several workers, worker 0 alone writes (the state is the job's:
// it resumes on any replica or worker count).
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string dir, std::int64_t every_steps = 0, autodiff::RunInfo info = {});
  void on_batch_end(std::int64_t step, Trainer& trainer) override;
  void on_epoch_end(const EpochLogs& logs, Trainer& trainer) override;
  void save(Trainer& trainer);

 private:
  std::string dir_;
  std::int64_t every_steps_;
  autodiff::RunInfo info_;
};

}  // namespace spool::distribute
