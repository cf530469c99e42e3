// The callbacks: EarlyStopping's patience and direction on made-up logs and in a
// stalled fit, StopAtAccuracy at its target, ModelCheckpoint's files and what they
// restore, MetricsJsonl's lines read back with Boost.JSON.
#include "spool/distribute/callbacks.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <fstream>
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
    logs.loss = logs.accuracy = logs.val_loss = logs.val_accuracy = kNaN;
    (monitor == "loss"       ? logs.loss
     : monitor == "accuracy" ? logs.accuracy
     : monitor == "val_loss" ? logs.val_loss
                             : logs.val_accuracy) = values[i];
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

TEST(EarlyStoppingTest, RefusesUnknownNamesAndNegativePatience) {
  try {
    EarlyStopping("val_acc");
    FAIL() << "an unknown monitor was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("cannot monitor 'val_acc'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(EarlyStopping("loss", -1), InvalidArgument);
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
  EXPECT_GE(h.epochs.back().accuracy, 0.9);
  for (std::size_t i = 0; i + 1 < h.epochs.size(); ++i) EXPECT_LT(h.epochs[i].accuracy, 0.9) << "epoch " << i + 1;
}

TEST(StopAtAccuracyTest, NeedsAnAccuracyThatIsThere) {
  StopAtAccuracy on_validation(0.5, "val_accuracy");
  EXPECT_EQ(stop_epoch(on_validation, "val_accuracy", {0.4, 0.49, 0.5, 0.6}), 3);
  StopAtAccuracy without_validation(0.5, "val_accuracy");  // NaN never reaches a target
  EXPECT_EQ(stop_epoch(without_validation, "accuracy", {0.9, 0.95}), 0);
  EXPECT_FALSE(without_validation.reached());
  EXPECT_THROW(StopAtAccuracy(0.1, "loss"), InvalidArgument);
  EXPECT_THROW(StopAtAccuracy(0.1, "precision"), InvalidArgument);
}

TEST(ModelCheckpointTest, SavesWhatRestoresTheModelAndTheRun) {
  TempDir dir;
  const std::string ckpt = dir.file("run");  // created by the first save
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7);
  run.trainer.fit(batches(data, kBatch, 3), silent().epochs(2).seed(5).callback(std::make_shared<ModelCheckpoint>(
                                                ckpt, 0, std::map<std::string, std::string>{{"model", "blobs"}})));
  ASSERT_TRUE(autodiff::checkpoint_exists(ckpt));
  BlobRun fresh(99);
  ASSERT_FALSE(variable_bytes(fresh.model) == variable_bytes(run.model));
  const autodiff::TrainingState state = autodiff::restore_checkpoint(ckpt, fresh.model.variables(), &fresh.adam);
  EXPECT_TRUE(variable_bytes(fresh.model) == variable_bytes(run.model));
  EXPECT_EQ(state.step, 2 * kStepsPerEpoch);
  EXPECT_FALSE(state.iterator_state.empty());
  const std::map<std::string, std::string> expected = {
      {"epoch", "2"}, {"epoch_step", "0"}, {"model", "blobs"}, {"seed", "5"}};
  EXPECT_EQ(state.metadata, expected);
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
  EXPECT_EQ(state.metadata.at("epoch"), "1");
  EXPECT_EQ(state.metadata.at("epoch_step"), "2");
  EXPECT_THROW(ModelCheckpoint(dir.path().string(), -1), InvalidArgument);
}

std::vector<boost::json::object> read_jsonl(const std::string& path) {
  std::vector<boost::json::object> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(boost::json::parse(line).as_object());
  return out;
}

// The number at `key`, NaN for null; a test failure for anything else.
double number_at(const boost::json::object& o, const char* key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    ADD_FAILURE() << "no key " << key << " in " << boost::json::serialize(o);
    return kNaN;
  }
  if (v->is_null()) return kNaN;
  EXPECT_TRUE(v->is_number()) << key << " is " << boost::json::serialize(*v);
  return v->is_number() ? v->to_number<double>() : kNaN;
}

void expect_same(double logged, double actual, const char* key) {
  if (std::isnan(actual)) {
    EXPECT_TRUE(std::isnan(logged)) << key << " should be null, is " << logged;
  } else {
    EXPECT_NEAR(logged, actual, 1e-12 * std::max(1.0, std::abs(actual))) << key;
  }
}

void expect_lines_match(const std::vector<boost::json::object>& lines, const History& h) {
  ASSERT_EQ(lines.size(), h.epochs.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const EpochLogs& e = h.epochs[i];
    SCOPED_TRACE(boost::json::serialize(lines[i]));
    EXPECT_EQ(number_at(lines[i], "epoch"), e.epoch);
    expect_same(number_at(lines[i], "loss"), e.loss, "loss");
    expect_same(number_at(lines[i], "accuracy"), e.accuracy, "accuracy");
    expect_same(number_at(lines[i], "val_loss"), e.val_loss, "val_loss");
    expect_same(number_at(lines[i], "val_accuracy"), e.val_accuracy, "val_accuracy");
    expect_same(number_at(lines[i], "examples_per_sec"), e.examples_per_sec, "examples_per_sec");
    expect_same(number_at(lines[i], "seconds"), e.seconds, "seconds");
    EXPECT_EQ(number_at(lines[i], "step"), e.step);
  }
}

TEST(MetricsJsonlTest, WritesOneLinePerEpochWithTheLoggedValues) {
  TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  const Blobs train = blobs(kExamples, 1), validation = blobs(100, 2);
  BlobRun run(7);
  const History h = run.trainer.fit(
      batches(train, kBatch, 3),
      silent().epochs(3).validation(in_order(validation, 50)).callback(std::make_shared<MetricsJsonl>(path)));
  const std::vector<boost::json::object> lines = read_jsonl(path);
  expect_lines_match(lines, h);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[2].at("val_accuracy").is_number());
  EXPECT_GT(number_at(lines[2], "examples_per_sec"), 0);
}

TEST(MetricsJsonlTest, NullWithoutValidationAndAppendOnlyWhenAsked) {
  TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  spool::testing::write_file(path, "{\"epoch\":1}\n");
  const data::Dataset train = batches(blobs(kExamples, 1), kBatch, 3);
  BlobRun run(7);
  const History first = run.trainer.fit(train, silent().epochs(2).callback(std::make_shared<MetricsJsonl>(path)));
  std::vector<boost::json::object> lines = read_jsonl(path);
  expect_lines_match(lines, first);  // the old line is gone
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].at("val_loss").is_null());
  EXPECT_TRUE(lines[0].at("val_accuracy").is_null());

  const History more = run.trainer.fit(train, silent().epochs(1).callback(std::make_shared<MetricsJsonl>(path, true)));
  lines = read_jsonl(path);
  ASSERT_EQ(lines.size(), 3u);
  History both = first;
  both.epochs.push_back(more.epochs.at(0));
  expect_lines_match(lines, both);
}

TEST(MetricsJsonlTest, AnUnwritablePathIsAnIoErrorNamingIt) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/metrics.jsonl");
  BlobRun run(7);
  try {
    run.trainer.fit(batches(blobs(64, 1), 16, 3), silent().callback(std::make_shared<MetricsJsonl>(path)));
    FAIL() << "wrote to " << path;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(EpochLogsJsonTest, ShortestRoundTripNumbersAndNullForNaN) {
  EpochLogs logs;
  logs.epoch = 3;
  logs.loss = 0.1;
  logs.accuracy = 0.75;
  logs.val_loss = kNaN;
  logs.val_accuracy = std::numeric_limits<double>::infinity();
  logs.examples_per_sec = 1234.5;
  logs.seconds = 2;
  logs.step = 30;
  EXPECT_EQ(epoch_logs_json(logs),
            "{\"epoch\":3,\"loss\":0.1,\"accuracy\":0.75,\"val_loss\":null,"
            "\"val_accuracy\":null,"
            "\"examples_per_sec\":1234.5,\"seconds\":2,\"step\":30}");
}

}  // namespace
}  // namespace spool::distribute
