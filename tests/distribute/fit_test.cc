// Trainer::fit / evaluate / predict on gaussian blobs (fit_test_support.h): it learns,
// History describes what happened, the same seed gives the same weights, and a run
// resumed from a checkpoint (taken at an epoch's end or in the middle of one) ends with
// the very bytes an uninterrupted run ends with.
#include "spool/distribute/fit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "distribute/fit_test_support.h"
#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/tape.h"
#include "spool/distribute/callbacks.h"
#include "test_support.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;
using spool::testing::TempDir;

constexpr std::int64_t kExamples = 300, kBatch = 32;
constexpr std::int64_t kStepsPerEpoch = (kExamples + kBatch - 1) / kBatch;  // the last batch is short

TEST(FitTest, LearnsSeparableBlobsAndTheLossFalls) {
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7);
  const History h = run.trainer.fit(batches(data, kBatch, 3), silent().epochs(6).seed(11));
  ASSERT_EQ(h.epochs.size(), 6u);
  EXPECT_LT(h.epochs.back().loss, 0.5 * h.epochs.front().loss);
  EXPECT_GT(h.epochs.back().value("accuracy"), 0.95);
  // Inference on the training data (no dropout) agrees.
  EXPECT_GT(run.trainer.evaluate(in_order(data, 64)).value("accuracy"), 0.95);
}

TEST(FitTest, HistoryHasOneEntryPerEpochWithPlausibleFields) {
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7);
  const History h = run.trainer.fit(batches(data, kBatch, 3), silent().epochs(3));
  ASSERT_EQ(h.epochs.size(), 3u);
  for (std::size_t i = 0; i < h.epochs.size(); ++i) {
    const EpochLogs& e = h.epochs[i];
    SCOPED_TRACE("epoch " + std::to_string(e.epoch));
    EXPECT_EQ(e.epoch, static_cast<int>(i) + 1);
    EXPECT_EQ(e.step, kStepsPerEpoch * e.epoch);
    EXPECT_EQ(e.examples, kExamples);
    EXPECT_TRUE(std::isfinite(e.loss) && e.loss > 0) << e.loss;
    EXPECT_GE(e.value("accuracy"), 0.0);
    EXPECT_LE(e.value("accuracy"), 1.0);
    EXPECT_GT(e.examples_per_sec, 0.0);
    EXPECT_GT(e.seconds, 0.0);
    EXPECT_TRUE(std::isnan(e.val_loss)) << "no validation data, yet val_loss " << e.val_loss;
    EXPECT_TRUE(std::isnan(e.value("val_accuracy"))) << "no validation data, yet val_accuracy";
  }
  EXPECT_EQ(run.trainer.step(), 3 * kStepsPerEpoch);
  EXPECT_EQ(run.trainer.epoch(), 3);
}

TEST(FitTest, ValidationFieldsAreWhatEvaluateMeasures) {
  const Blobs train = blobs(kExamples, 1), validation = blobs(100, 2);
  BlobRun run(7);
  const History h = run.trainer.fit(batches(train, kBatch, 3), silent().epochs(2).validation(in_order(validation, 64)));
  ASSERT_EQ(h.epochs.size(), 2u);
  // Inference is deterministic, so the last epoch's validation equals a pass now.
  const EpochLogs now = run.trainer.evaluate(in_order(validation, 64));
  EXPECT_EQ(h.epochs.back().val_loss, now.loss);
  EXPECT_EQ(h.epochs.back().value("val_accuracy"), now.value("accuracy"));
  EXPECT_GT(h.epochs.back().value("val_accuracy"), 0.9);
  EXPECT_NE(h.epochs.front().val_loss, h.epochs.back().val_loss);
}

TEST(FitTest, WithoutMetricsOnlyTheLossIsLogged) {
  const Blobs data = blobs(64, 1);
  layers::Sequential model = blob_model(7);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam;
  Trainer trainer(model, loss, adam);
  EXPECT_EQ(trainer.logged_names(), (std::vector<std::string>{"loss", "val_loss"}));
  const History h = trainer.fit(batches(data, 16, 3), silent().epochs(1));
  ASSERT_EQ(h.epochs.size(), 1u);
  EXPECT_TRUE(h.epochs[0].metrics.empty());
  EXPECT_FALSE(h.epochs[0].has("accuracy"));
  EXPECT_THROW(h.epochs[0].value("accuracy"), InvalidArgument);
  EXPECT_TRUE(std::isfinite(h.epochs[0].loss));
}

TEST(FitTest, BinaryAccuracyFromLogitsOnTwoBlobs) {
  // Classes 0 and 1 of the blobs as a binary problem with f32 [N, 1] labels.
  const Blobs four = blobs(kExamples, 1);
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < kExamples; ++i) {
    if (four.y.at<std::int64_t>({i}) < 2) rows.push_back(i);
  }
  const auto n = static_cast<std::int64_t>(rows.size());
  Tensor x = Tensor::empty(Shape{n, kFeatures}, DType::kF32), y = Tensor::empty(Shape{n, 1}, DType::kF32);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < kFeatures; ++j) x.at<float>({i, j}) = four.x.at<float>({rows[i], j});
    y.at<float>({i, 0}) = static_cast<float>(four.y.at<std::int64_t>({rows[i]}));
  }
  layers::Sequential model("binary");
  model.add(layers::Dense(layers::DenseOptions(8).activation("relu"))).add(layers::Dense(layers::DenseOptions(1)));
  model.build(Shape{kFeatures}, 3);
  losses::BinaryCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  Trainer trainer(model, loss, adam, {"accuracy"});  // the binary accuracy, from logits as the loss
  const data::Dataset ds = data::Dataset::from_tensor_slices({x, y}).shuffle(n, 1).batch(16);
  const History h = trainer.fit(ds, silent().epochs(4));
  ASSERT_EQ(h.epochs.size(), 4u);
  EXPECT_GT(h.epochs.back().value("accuracy"), 0.95);
  EXPECT_LT(h.epochs.back().loss, h.epochs.front().loss);
}

TEST(FitTest, SameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot) {
  const Blobs data = blobs(kExamples, 1);
  // A dataset per run: each new iterator of one dataset reshuffles (as tf.data).
  BlobRun a(7), b(7), c(7);
  a.trainer.fit(batches(data, kBatch, 3), silent().epochs(2).seed(5));
  b.trainer.fit(batches(data, kBatch, 3), silent().epochs(2).seed(5));
  c.trainer.fit(batches(data, kBatch, 3), silent().epochs(2).seed(6));  // other dropout masks only
  EXPECT_TRUE(variable_bytes(a.model) == variable_bytes(b.model));
  EXPECT_FALSE(variable_bytes(a.model) == variable_bytes(c.model));
}

TEST(FitTest, ASecondFitTrainsItsEpochsAgain) {
  // As Keras: fit(epochs=2) twice trains four epochs; the step count goes on.
  const Blobs data = blobs(kExamples, 1);
  BlobRun run(7);
  const data::Dataset train = batches(data, kBatch, 3);
  run.trainer.fit(train, silent().epochs(2));
  const std::string after_first = variable_bytes(run.model);
  const History second = run.trainer.fit(train, silent().epochs(2));
  ASSERT_EQ(second.epochs.size(), 2u);
  EXPECT_EQ(second.epochs[0].epoch, 1);
  EXPECT_EQ(second.epochs[1].step, 4 * kStepsPerEpoch);
  EXPECT_FALSE(variable_bytes(run.model) == after_first);
}

// Trains kEpochs on `train()` straight, and again as: `interrupted` options (which leave
// a checkpoint in dir), then a fresh model (other initial weights) and optimizer
// restored from it and fit(resume_from) up to kEpochs. Returns the resumed history.
// Each run builds its dataset, as a process of its own would: one dataset's second
// iterator would reshuffle (as tf.data).
History expect_resume_is_exact(const std::function<data::Dataset()>& train, const FitOptions& interrupted,
                               const TempDir& dir, bool crashes) {
  constexpr int kEpochs = 4;
  BlobRun straight(7);
  const History full = straight.trainer.fit(train(), silent().epochs(kEpochs).seed(5));

  {
    BlobRun first(7);
    if (crashes) {
      EXPECT_THROW(first.trainer.fit(train(), interrupted), std::runtime_error);
    } else {
      first.trainer.fit(train(), interrupted);
    }
    EXPECT_FALSE(variable_bytes(first.model) == variable_bytes(straight.model)) << "the first part ran to the end";
  }
  BlobRun resumed(99);
  const autodiff::TrainingState state =
      autodiff::restore_checkpoint(dir.path().string(), resumed.model.variables(), &resumed.adam);
  // No seed here: the checkpoint's seed must be the one the dropout masks come from.
  const History rest = resumed.trainer.fit(train(), silent().epochs(kEpochs).resume_from(state));
  EXPECT_TRUE(variable_bytes(resumed.model) == variable_bytes(straight.model));
  EXPECT_EQ(resumed.trainer.step(), straight.trainer.step());
  EXPECT_EQ(resumed.trainer.epoch(), kEpochs);
  // The epochs after the checkpoint saw the same batches, so the same losses; an
  // interrupted epoch too, as the checkpoint holds the numbers its first part added up.
  for (const EpochLogs& e : rest.epochs) {
    const EpochLogs& same = full.epochs.at(static_cast<std::size_t>(e.epoch) - 1);
    EXPECT_EQ(e.loss, same.loss) << "epoch " << e.epoch;
    EXPECT_EQ(e.value("accuracy"), same.value("accuracy")) << "epoch " << e.epoch;
    EXPECT_EQ(e.step, same.step) << "epoch " << e.epoch;
  }
  return rest;
}

data::Dataset blob_batches() { return batches(blobs(kExamples, 1), kBatch, 3); }

// The blob batches behind a filter, which cannot know how many pass: cardinality unknown.
data::Dataset unknown_length(const data::Dataset& ds) {
  return ds.filter([](const data::Element&) { return true; });
}

TEST(FitResumeTest, FromAnEpochCheckpointIsBitIdentical) {
  TempDir dir;
  const History rest = expect_resume_is_exact(
      blob_batches, silent().epochs(2).seed(5).callback(std::make_shared<ModelCheckpoint>(dir.path().string())), dir,
      false);
  ASSERT_EQ(rest.epochs.size(), 2u);
  EXPECT_EQ(rest.epochs[0].epoch, 3);
  EXPECT_EQ(rest.epochs[0].examples, kExamples);
}

TEST(FitResumeTest, FromAMidEpochCheckpointIsBitIdentical) {
  // Saved every 3 steps; the crash at step 15 is in the middle of epoch 2 (10 steps an
  // epoch), right after a save. The resumed run does the rest of epoch 2 only.
  TempDir dir;
  const FitOptions crashing =
      silent().epochs(4).seed(5).callback(std::make_shared<ModelCheckpoint>(dir.path().string(), 3));
  const History rest = expect_resume_is_exact(
      blob_batches, FitOptions(crashing).callback(std::make_shared<CrashAtStep>(15)), dir, true);
  ASSERT_EQ(rest.epochs.size(), 3u);
  EXPECT_EQ(rest.epochs[0].epoch, 2);
  EXPECT_EQ(rest.epochs[0].step, 2 * kStepsPerEpoch);
  // The 5 batches before the crash are not redone.
  EXPECT_EQ(rest.epochs[0].examples, kExamples - 5 * kBatch);
}

TEST(FitResumeTest, ACheckpointWithoutMetricNumbersLogsTheRestOfTheEpoch) {
  // A checkpoint from before metrics were saved: the resumed epoch's loss covers the
  // steps after it, as it did then; the weights are exact all the same.
  TempDir dir;
  const data::Dataset train = blob_batches();
  BlobRun first(7);
  EXPECT_THROW(first.trainer.fit(train, silent().epochs(2).seed(5)
                                            .callback(std::make_shared<ModelCheckpoint>(dir.path().string(), 3))
                                            .callback(std::make_shared<CrashAtStep>(15))),
               std::runtime_error);
  BlobRun resumed(99), straight(7);
  autodiff::TrainingState state =
      autodiff::restore_checkpoint(dir.path().string(), resumed.model.variables(), &resumed.adam);
  ASSERT_FALSE(state.metrics.empty());
  state.metrics.clear();
  const History rest = resumed.trainer.fit(train, silent().epochs(2).resume_from(state));
  // A dataset of its own: the shared one's next iterator would reshuffle (as tf.data).
  const History full = straight.trainer.fit(blob_batches(), silent().epochs(2).seed(5));
  ASSERT_EQ(rest.epochs.size(), 1u);
  EXPECT_NE(rest.epochs[0].loss, full.epochs[1].loss);
  EXPECT_TRUE(variable_bytes(resumed.model) == variable_bytes(straight.model));
}

TEST(FitResumeTest, ACheckpointOfAFinishedRunTrainsNoMore) {
  TempDir dir;
  const Blobs data = blobs(kExamples, 1);
  const data::Dataset train = batches(data, kBatch, 3);
  BlobRun first(7);
  first.trainer.fit(train, silent().epochs(2).callback(std::make_shared<ModelCheckpoint>(dir.path().string())));
  BlobRun resumed(99);
  const autodiff::TrainingState state =
      autodiff::restore_checkpoint(dir.path().string(), resumed.model.variables(), &resumed.adam);
  EXPECT_TRUE(resumed.trainer.fit(train, silent().epochs(2).resume_from(state)).epochs.empty());
  EXPECT_TRUE(variable_bytes(resumed.model) == variable_bytes(first.model));
}

TEST(FitResumeTest, RefusesAStateThatDoesNotFit) {
  const data::Dataset train = batches(blobs(kExamples, 1), kBatch, 3);
  BlobRun run(7);
  autodiff::TrainingState state;
  state.epoch = 1;
  state.epoch_step = 11;
  try {
    run.trainer.fit(train, silent().epochs(3).resume_from(state));
    FAIL() << "resumed at step 11 of a 10-step epoch";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("at epoch 1 step 11 of it, which does not fit epochs of 10 steps"),
              std::string::npos)
        << e.what();
  }
}

TEST(FitUnknownLengthTest, AnEpochIsOnePassAndThePassesReshuffleAsRepeatDoes) {
  // Two datasets built alike: one dataset's second iterator would reshuffle (as tf.data).
  const data::Dataset known = blob_batches();
  const data::Dataset unknown = unknown_length(blob_batches());
  ASSERT_EQ(unknown.cardinality(), data::kUnknownCardinality);
  BlobRun a(7), b(7);
  const History by_count = a.trainer.fit(known, silent().epochs(3).seed(5));
  const History to_the_end = b.trainer.fit(unknown, silent().epochs(3).seed(5));
  ASSERT_EQ(to_the_end.epochs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE("epoch " + std::to_string(i + 1));
    EXPECT_EQ(to_the_end.epochs[i].examples, kExamples);
    EXPECT_EQ(to_the_end.epochs[i].step, kStepsPerEpoch * static_cast<std::int64_t>(i + 1));
    // The same batches in the same order: the same numbers, bit for bit.
    EXPECT_EQ(to_the_end.epochs[i].loss, by_count.epochs[i].loss);
  }
  EXPECT_NE(to_the_end.epochs[0].loss, to_the_end.epochs[1].loss);
  EXPECT_TRUE(variable_bytes(a.model) == variable_bytes(b.model));
}

TEST(FitUnknownLengthTest, StepsPerEpochStillCuts) {
  BlobRun run(7);
  const History h = run.trainer.fit(unknown_length(blob_batches()), silent().epochs(2).steps_per_epoch(4));
  ASSERT_EQ(h.epochs.size(), 2u);
  EXPECT_EQ(h.epochs[1].step, 8);
  EXPECT_EQ(h.epochs[0].examples, 4 * kBatch);
}

TEST(FitUnknownLengthTest, ResumesFromAMidEpochCheckpointExactly) {
  // Saved every 4 steps, crash at step 17: in the middle of the second pass, 7 steps
  // into it. The iterator's state brings the resumed run to the very next batch, and
  // the next passes follow as they would have.
  TempDir dir;
  const auto unknown = [] { return unknown_length(blob_batches()); };
  const FitOptions crashing = silent()
                                  .epochs(4)
                                  .seed(5)
                                  .callback(std::make_shared<ModelCheckpoint>(dir.path().string(), 4))
                                  .callback(std::make_shared<CrashAtStep>(17));
  const History rest = expect_resume_is_exact(unknown, crashing, dir, true);
  ASSERT_EQ(rest.epochs.size(), 3u);
  EXPECT_EQ(rest.epochs[0].epoch, 2);
  EXPECT_EQ(rest.epochs[0].examples, kExamples - 6 * kBatch);  // saved at step 16, 6 steps into epoch 2
  EXPECT_EQ(rest.epochs[2].examples, kExamples);
}

TEST(FitUnknownLengthTest, ResumesFromACheckpointAtAPassEnd) {
  // Saved at every epoch's end, after the pass's end was read: the resumed run starts
  // the next pass.
  TempDir dir;
  const History rest = expect_resume_is_exact(
      [] { return unknown_length(blob_batches()); },
      silent().epochs(2).seed(5).callback(std::make_shared<ModelCheckpoint>(dir.path().string())), dir, false);
  ASSERT_EQ(rest.epochs.size(), 2u);
  EXPECT_EQ(rest.epochs[0].epoch, 3);
  EXPECT_EQ(rest.epochs[0].examples, kExamples);
}

TEST(FitUnknownLengthTest, TheBarHasNoTotal) {
  BlobRun run(7);
  std::ostringstream out;
  run.trainer.fit(unknown_length(batches(blobs(64, 1), 16, 3)),
                  FitOptions().progress(ProgressBar::Mode::kPlain).progress_stream(&out));
  EXPECT_NE(out.str().find("\n4 steps - "), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("4/4"), std::string::npos) << out.str();
}

TEST(FitUnknownLengthTest, EmptyOrInfiniteDataIsAnError) {
  BlobRun run(7);
  const data::Dataset none = blob_batches().filter([](const data::Element&) { return false; });
  try {
    run.trainer.fit(none, silent());
    FAIL() << "fit trained on a pass of nothing";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("ended after 0 batches of epoch 1"), std::string::npos) << e.what();
  }
  try {
    run.trainer.fit(blob_batches().repeat(), silent());
    FAIL() << "fit accepted an infinite dataset without steps_per_epoch";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("infinite; say how many batches make an epoch with "
                                         "FitOptions::steps_per_epoch"),
              std::string::npos)
        << e.what();
  }
  try {
    run.trainer.fit(blob_batches().take(0), silent());
    FAIL() << "fit accepted a dataset of cardinality 0";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("the training dataset is empty"), std::string::npos) << e.what();
  }
}

TEST(FitTest, AnEmptyDatasetIsAnErrorNamingTheEpoch) {
  const Blobs data = blobs(kExamples, 1);
  const data::Dataset empty = batches(data, kBatch, 3).take(0);
  BlobRun run(7);
  try {
    run.trainer.fit(empty, silent().steps_per_epoch(3));
    FAIL() << "fit trained on nothing";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("ended after 0 batches of epoch 1"), std::string::npos) << e.what();
  }
}

TEST(FitTest, RefusesZeroEpochsAndUnbuiltModels) {
  const Blobs data = blobs(64, 1);
  BlobRun run(7);
  EXPECT_THROW(run.trainer.fit(batches(data, 16, 3), silent().epochs(0)), InvalidArgument);
  layers::Sequential unbuilt("unbuilt");
  unbuilt.add(layers::Dense(layers::DenseOptions(2)));
  EXPECT_THROW(Trainer(unbuilt, run.loss, run.adam), InvalidArgument);
}

TEST(FitTest, CallbacksSeeEveryStepAndEpochInOrder) {
  class Recorder : public Callback {
   public:
    void on_train_begin(Trainer&) override { events.push_back("begin"); }
    void on_batch_end(std::int64_t step, Trainer&) override { events.push_back("step " + std::to_string(step)); }
    void on_epoch_end(const EpochLogs& logs, Trainer&) override {
      events.push_back("epoch " + std::to_string(logs.epoch));
    }
    void on_train_end(const History& h, Trainer&) override {
      events.push_back("end " + std::to_string(h.epochs.size()));
    }
    std::vector<std::string> events;
  };
  BlobRun run(7);
  auto recorder = std::make_shared<Recorder>();
  run.trainer.fit(batches(blobs(48, 1), 16, 3), silent().epochs(2).callback(recorder));
  const std::vector<std::string> expected = {"begin",  "step 1", "step 2", "step 3",  "epoch 1",
                                             "step 4", "step 5", "step 6", "epoch 2", "end 2"};
  EXPECT_EQ(recorder->events, expected);
}

TEST(FitTest, ProgressGoesToTheGivenStream) {
  const Blobs data = blobs(64, 1);
  BlobRun run(7);
  std::ostringstream out;
  run.trainer.fit(
      batches(data, 16, 3),
      FitOptions().epochs(2).validation(in_order(data, 32)).progress(ProgressBar::Mode::kPlain).progress_stream(&out));
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;  // a title and a bar per epoch
  EXPECT_EQ(text.rfind("Epoch 1/2\n", 0), 0u) << text;
  EXPECT_NE(text.find("Epoch 2/2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("4/4 ["), std::string::npos) << text;
  EXPECT_NE(text.find(" - val_loss: "), std::string::npos) << text;
  EXPECT_NE(text.find(" - val_accuracy: "), std::string::npos) << text;

  std::ostringstream quiet;
  run.trainer.fit(batches(data, 16, 3), silent().progress_stream(&quiet));
  EXPECT_EQ(quiet.str(), "");
}

TEST(FitTest, IteratorStateExistsOnlyDuringFit) {
  class Probe : public Callback {
   public:
    void on_epoch_end(const EpochLogs&, Trainer& trainer) override { seen = !trainer.iterator_state().empty(); }
    bool seen = false;
  };
  const Blobs data = blobs(64, 1);
  BlobRun run(7);
  auto probe = std::make_shared<Probe>();
  run.trainer.fit(batches(data, 16, 3), silent().callback(probe));
  EXPECT_TRUE(probe->seen);
  EXPECT_TRUE(run.trainer.iterator_state().empty());
}

TEST(EvaluateTest, MatchesOnePassByHand) {
  const Blobs data = blobs(100, 4);
  BlobRun run(7);
  run.trainer.fit(batches(blobs(kExamples, 1), kBatch, 3), silent().epochs(2));
  const EpochLogs e = run.trainer.evaluate(in_order(data, 30));  // batches 30, 30, 30, 10
  EXPECT_EQ(e.examples, 100);
  const Tensor logits = run.model(data.x, {.training = false});
  EXPECT_NEAR(e.loss, run.loss(data.y, logits).item_as_double(), 1e-6);
  std::int64_t right = 0;
  for (std::int64_t i = 0; i < 100; ++i) {
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < kClasses; ++c) {
      if (logits.at<float>({i, c}) > logits.at<float>({i, best})) best = c;
    }
    right += best == data.y.at<std::int64_t>({i});
  }
  EXPECT_DOUBLE_EQ(e.value("accuracy"), static_cast<double>(right) / 100);
  EXPECT_TRUE(std::isnan(e.val_loss));
}

TEST(EvaluateTest, DoesNotDisturbTheRunningTrainingAccuracy) {
  // evaluate() in the middle of an epoch (a callback) must leave the epoch's metrics
  // alone.
  class EvaluateEveryBatch : public Callback {
   public:
    explicit EvaluateEveryBatch(data::Dataset ds) : ds_(std::move(ds)) {}
    void on_batch_end(std::int64_t, Trainer& trainer) override { trainer.evaluate(ds_); }

   private:
    data::Dataset ds_;
  };
  const Blobs data = blobs(kExamples, 1);
  BlobRun plain(7), probed(7);
  // A dataset per run, so both see the same orders.
  const History a = plain.trainer.fit(batches(data, kBatch, 3), silent().epochs(2));
  const History b =
      probed.trainer.fit(batches(data, kBatch, 3),
                         silent().epochs(2).callback(std::make_shared<EvaluateEveryBatch>(in_order(blobs(40, 9), 8))));
  ASSERT_EQ(b.epochs.size(), 2u);
  EXPECT_EQ(a.epochs[1].value("accuracy"), b.epochs[1].value("accuracy"));
  EXPECT_EQ(a.epochs[1].loss, b.epochs[1].loss);
}

TEST(PredictTest, EqualsTheModelCalledOnTheSameInput) {
  const Blobs data = blobs(50, 4);
  BlobRun run(7);
  const Tensor whole = run.model(data.x, {.training = false});
  const Tensor predicted = run.trainer.predict(data.x, 7);  // 7 batches, the last one of 1
  ASSERT_EQ(predicted.shape(), (Shape{50, kClasses}));
  const std::vector<float> a = whole.to_vector<float>(), b = predicted.to_vector<float>();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << "element " << i;
  // One batch is the very same call.
  EXPECT_EQ(run.trainer.predict(data.x, 64).to_vector<float>(), a);
  // Training mode (dropout) is off: twice gives the same.
  EXPECT_EQ(run.trainer.predict(data.x, 7).to_vector<float>(), b);
}

TEST(PredictTest, RefusesBadArguments) {
  BlobRun run(7);
  EXPECT_THROW(run.trainer.predict(blobs(4, 1).x, 0), InvalidArgument);
  EXPECT_THROW(run.trainer.predict(Tensor::scalar(1.0f)), InvalidArgument);
}

}  // namespace
}  // namespace spool::distribute
