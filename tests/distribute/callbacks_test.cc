// The callbacks: EarlyStopping's patience and direction on made-up logs and in a
// stalled fit, monitored names checked against what the trainer logs, StopAtAccuracy
// at its target, ModelCheckpoint's files and what they restore. MetricsJsonl is
// tested in metrics_jsonl_test.cc.
#include "spool/distribute/callbacks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "distribute/fit_test_support.h"
#include "spool/autodiff/checkpoint.h"
#include "test_support.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;
using spool::testing::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kExamples = 300, kBatch = 32, kStepsPerEpoch = 10;

// Feeds `values` of `monitor` to `callback` one epoch at a time; returns the epoch
// after which the trainer was told to stop (0: never).
int stop_epoch(Callback& callback, const std::string& monitor, const std::vector<double>& values) {
  BlobRun run(7);
  callback.on_train_begin(run.trainer);
  for (std::size_t i = 0; i < values.size(); ++i) {
    EpochLogs logs;
    logs.epoch = static_cast<int>(i) + 1;
    logs.loss = logs.val_loss = kNaN;
    logs.metrics = {{"accuracy", kNaN}};
    logs.val_metrics = {{"val_accuracy", kNaN}};
    (monitor == "loss"       ? logs.loss
     : monitor == "accuracy" ? logs.metrics[0].second
     : monitor == "val_loss" ? logs.val_loss
                             : logs.val_metrics[0].second) = values[i];
    callback.on_epoch_end(logs, run.trainer);
    if (run.trainer.stop_training) return logs.epoch;
  }
  return 0;
}

TEST(EarlyStoppingTest, StopsAfterPatienceEpochsWithoutImprovement) {
  // Best 0.8 at epoch 2; epochs 3 and 4 are worse: the second of them stops.
  EarlyStopping es("val_loss", 2);
  EXPECT_EQ(stop_epoch(es, "val_loss", {1.0, 0.8, 0.85, 0.9, 0.7}), 4);
  EXPECT_EQ(es.stopped_epoch(), 4);
  // An improvement resets the count.
  EarlyStopping again("val_loss", 2);
  EXPECT_EQ(stop_epoch(again, "val_loss", {1.0, 1.1, 0.9, 1.0, 0.95, 0.5}), 5);
  EarlyStopping patient("val_loss", 3);
  EXPECT_EQ(stop_epoch(patient, "val_loss", {1.0, 0.8, 0.85, 0.9, 0.7}), 0);
  EXPECT_EQ(patient.stopped_epoch(), 0);
}

TEST(EarlyStoppingTest, PatienceZeroStopsAtTheFirstEpochWithoutImprovement) {
  EarlyStopping es("loss", 0);
  EXPECT_EQ(stop_epoch(es, "loss", {1.0, 0.9, 0.9, 0.5}), 3);
}

TEST(EarlyStoppingTest, AccuraciesImproveUpwards) {
  EarlyStopping es("val_accuracy", 2);
  EXPECT_EQ(stop_epoch(es, "val_accuracy", {0.5, 0.6, 0.7, 0.65, 0.7, 0.9}), 5);
  EarlyStopping rising("accuracy", 1);
  EXPECT_EQ(stop_epoch(rising, "accuracy", {0.1, 0.2, 0.3, 0.4}), 0);
}

TEST(EarlyStoppingTest, ImprovementsBelowMinDeltaDoNotCount) {
  EarlyStopping es("loss", 2, 0.01);
  EXPECT_EQ(stop_epoch(es, "loss", {1.0, 0.995, 0.991, 0.5}), 3);
  EarlyStopping fine("loss", 2, 0.001);
  EXPECT_EQ(stop_epoch(fine, "loss", {1.0, 0.995, 0.991, 0.5}), 0);
}

TEST(EarlyStoppingTest, NaNNeverImproves) {
  EarlyStopping es("val_loss", 2);
  EXPECT_EQ(stop_epoch(es, "val_loss", {kNaN, kNaN, kNaN}), 2);
}

TEST(EarlyStoppingTest, RefusesNamesTheTrainerDoesNotLogAndNegativePatience) {
  BlobRun run(7);
  EarlyStopping es("val_acc");
  try {
    es.on_train_begin(run.trainer);
    FAIL() << "an unknown monitor was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "EarlyStopping: cannot monitor 'val_acc'; the trainer logs loss, accuracy, val_loss, val_accuracy"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(EarlyStopping("loss", -1), InvalidArgument);
}

TEST(EarlyStoppingTest, MonitorsAnyMetricTheTrainerLogs) {
  // A metric of its own name: "val_matches" improves upwards (no "loss" in it).
  layers::Sequential model = blob_model(7);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-9));
  Trainer trainer(model, loss, adam, {std::make_shared<metrics::SparseCategoricalAccuracy>("matches")});
  auto es = std::make_shared<EarlyStopping>("val_matches", 1);
  const Blobs data = blobs(96, 1);
  const History h =
      trainer.fit(batches(data, kBatch, 3), silent().epochs(5).validation(in_order(data, 32)).callback(es));
  EXPECT_EQ(h.epochs.size(), 2u) << "a stalled val_matches stops at the second epoch";
  EXPECT_EQ(es->stopped_epoch(), 2);
}

TEST(EarlyStoppingTest, StopsAStalledFitAndLetsALearningOneRun) {
  const Blobs train = blobs(kExamples, 1), validation = blobs(100, 2);
  // Adam with a learning rate of 1e-9 moves no validation loss by 1e-4.
  BlobRun stalled(7, 1e-9);
  auto es = std::make_shared<EarlyStopping>("val_loss", 2, 1e-4);
  const FitOptions options = silent().epochs(20).validation(in_order(validation, 50)).callback(es);
  const History h = stalled.trainer.fit(batches(train, kBatch, 3), options);
  EXPECT_EQ(h.epochs.size(), 3u);
  EXPECT_EQ(es->stopped_epoch(), 3);
  // The same callback object starts afresh in the next fit, where the loss falls.
  BlobRun learning(7, 0.01);
  const History l = learning.trainer.fit(batches(train, kBatch, 3), FitOptions(options).epochs(4));
  EXPECT_EQ(l.epochs.size(), 4u);
  EXPECT_EQ(es->stopped_epoch(), 0);
}

TEST(StopAtAccuracyTest, StopsAtTheFirstEpochThatReachesTheTarget) {
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7, 0.003);
  auto stop = std::make_shared<StopAtAccuracy>(0.9);
  const History h = run.trainer.fit(batches(data, kBatch, 3), silent().epochs(30).callback(stop));
  // A slow learner: the first epoch stays below the target, so the stop is a choice.
  ASSERT_GE(h.epochs.size(), 2u);
  EXPECT_LT(h.epochs.size(), 30u);
  EXPECT_TRUE(stop->reached());
  EXPECT_GE(h.epochs.back().value("accuracy"), 0.9);
  for (std::size_t i = 0; i + 1 < h.epochs.size(); ++i) {
    EXPECT_LT(h.epochs[i].value("accuracy"), 0.9) << "epoch " << i + 1;
  }
}

TEST(StopAtAccuracyTest, NeedsAnAccuracyThatIsThere) {
  StopAtAccuracy on_validation(0.5, "val_accuracy");
  EXPECT_EQ(stop_epoch(on_validation, "val_accuracy", {0.4, 0.49, 0.5, 0.6}), 3);
  StopAtAccuracy without_validation(0.5, "val_accuracy");  // NaN never reaches a target
  EXPECT_EQ(stop_epoch(without_validation, "accuracy", {0.9, 0.95}), 0);
  EXPECT_FALSE(without_validation.reached());
  EXPECT_THROW(StopAtAccuracy(0.1, "loss"), InvalidArgument);
  EXPECT_THROW(StopAtAccuracy(0.1, "precision"), InvalidArgument);
  BlobRun run(7);
  StopAtAccuracy unlogged(0.5, "binary_accuracy");  // an accuracy, but not one this trainer logs
  EXPECT_THROW(unlogged.on_train_begin(run.trainer), InvalidArgument);
}

TEST(ModelCheckpointTest, SavesWhatRestoresTheModelAndTheRun) {
  TempDir dir;
  const std::string ckpt = dir.file("run");  // created by the first save
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7);
  autodiff::RunInfo info;
  info.model = "blobs";
  info.metadata = {{"note", "two epochs"}};
  run.trainer.fit(batches(data, kBatch, 3),
                  silent().epochs(2).seed(5).callback(std::make_shared<ModelCheckpoint>(ckpt, 0, info)));
  ASSERT_TRUE(autodiff::checkpoint_exists(ckpt));
  BlobRun fresh(99);
  ASSERT_FALSE(variable_bytes(fresh.model) == variable_bytes(run.model));
  const autodiff::TrainingState state = autodiff::restore_checkpoint(ckpt, fresh.model.variables(), &fresh.adam);
  EXPECT_TRUE(variable_bytes(fresh.model) == variable_bytes(run.model));
  EXPECT_EQ(state.step, 2 * kStepsPerEpoch);
  EXPECT_FALSE(state.iterator_state.empty());
  EXPECT_EQ(state.epoch, 2);
  EXPECT_EQ(state.epoch_step, 0);
  EXPECT_EQ(state.seed, 5u);
  EXPECT_EQ(state.info.model, "blobs");
  EXPECT_EQ(state.info.metadata, info.metadata);
  // The loss's and the accuracy's numbers: the last epoch's, over its 300 examples.
  metrics::Mean loss("loss");
  ASSERT_TRUE(autodiff::restore_metric(state, loss));
  EXPECT_EQ(loss.count(), kExamples);
  metrics::SparseCategoricalAccuracy accuracy("accuracy");
  ASSERT_TRUE(autodiff::restore_metric(state, accuracy));
  EXPECT_EQ(accuracy.count(), kExamples);
}

TEST(ModelCheckpointTest, EveryStepsSavesInsideEpochs) {
  TempDir dir;
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7);
  const FitOptions options = silent()
                                 .epochs(3)
                                 .callback(std::make_shared<ModelCheckpoint>(dir.path().string(), 4))
                                 .callback(std::make_shared<CrashAtStep>(15));
  EXPECT_THROW(run.trainer.fit(batches(data, kBatch, 3), options), std::runtime_error);
  BlobRun fresh(99);
  const autodiff::TrainingState state =
      autodiff::restore_checkpoint(dir.path().string(), fresh.model.variables(), &fresh.adam);
  EXPECT_EQ(state.step, 12);  // the last multiple of 4 before the crash
  EXPECT_EQ(state.epoch, 1);
  EXPECT_EQ(state.epoch_step, 2);
  EXPECT_THROW(ModelCheckpoint(dir.path().string(), -1), InvalidArgument);
}

}  // namespace
}  // namespace spool::distribute
