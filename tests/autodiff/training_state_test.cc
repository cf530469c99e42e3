// TrainingState in checkpoints: every typed field and a metric's numbers round-trip
// through a checkpoint file under the entry names older checkpoints use; a checkpoint
// written before the newer keys reads with the defaults (epoch 0, no image input, so
// 150x150 rgb bilinear for an image folder); numbers that do not parse and metadata
// keys that belong to typed fields are refused, naming them.
#include "spool/autodiff/training_state.h"

#include <gtest/gtest.h>

#include <set>

#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/metrics.h"
#include "test_support.h"

namespace spool::autodiff {
namespace {

using spool::testing::TempDir;

Tensor logits_for(std::vector<float> v, std::int64_t rows) {
  return Tensor::from_vector(v, Shape{rows, static_cast<std::int64_t>(v.size()) / rows});
}

// The names of the checkpoint's entries.
std::set<std::string> entry_names(const std::string& dir) {
  std::set<std::string> names;
  for (const NamedTensor& t : load_tensors(checkpoint_path(dir))) names.insert(t.name);
  return names;
}

TEST(TrainingStateTest, EveryFieldRoundTripsThroughACheckpoint) {
  TempDir dir;
  TrainingState state;
  state.step = 1234;
  state.epoch = 7;
  state.epoch_step = 5;
  state.seed = 18446744073709551615ull;  // the largest seed
  state.iterator_state = std::string("\0it\xff", 4);
  state.info.model = "cnn/horses-or-humans";
  state.info.learning_rate = "lr 0.003, cosine decay to 0 over 15 epochs (150 steps)";
  state.info.image_input = ImageInput{.image_size = 48, .color_mode = "grayscale", .interpolation = "area"};
  state.info.metadata = {{"note", "kept as it is"}};
  metrics::SparseCategoricalAccuracy accuracy("accuracy");
  accuracy.update(Tensor::from_vector<std::int64_t>({0, 1, 1}), logits_for({3, 1, 0, 2, 5, 1}, 3));
  save_metric(state, accuracy);
  save_checkpoint(dir.path().string(), {}, nullptr, state);

  // Older readers find the values under the names they know.
  const std::set<std::string> names = entry_names(dir.path().string());
  for (const char* name : {"step", "iterator_state", "metadata/epoch", "metadata/epoch_step", "metadata/seed",
                           "metadata/model", "metadata/learning_rate", "metadata/image_size", "metadata/color_mode",
                           "metadata/interpolation", "metadata/note", "metrics/accuracy/total",
                           "metrics/accuracy/count"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }

  const TrainingState back = restore_checkpoint(dir.path().string(), {}, nullptr);
  EXPECT_EQ(back.step, 1234);
  EXPECT_EQ(back.epoch, 7);
  EXPECT_EQ(back.epoch_step, 5);
  EXPECT_EQ(back.seed, state.seed);
  EXPECT_EQ(back.iterator_state, state.iterator_state);
  EXPECT_EQ(back.info.model, state.info.model);
  EXPECT_EQ(back.info.learning_rate, state.info.learning_rate);
  EXPECT_EQ(back.info.image_input, state.info.image_input);
  EXPECT_EQ(back.info.metadata, state.info.metadata);

  // The metric goes on from the saved numbers: 2 of 3 right, then 1 of 1.
  metrics::SparseCategoricalAccuracy resumed("accuracy");
  ASSERT_TRUE(restore_metric(back, resumed));
  EXPECT_EQ(resumed.total(), 2.0);
  EXPECT_EQ(resumed.count(), 3.0);
  resumed.update(Tensor::from_vector<std::int64_t>({0}), logits_for({1, 0}, 1));
  EXPECT_DOUBLE_EQ(resumed.result(), 0.75);
  metrics::SparseCategoricalAccuracy other("other");
  EXPECT_FALSE(restore_metric(back, other)) << "no numbers saved under 'other/'";
  EXPECT_EQ(other.count(), 0.0);
}

TEST(TrainingStateTest, ACheckpointWithoutTheNewerKeysReadsWithTheDefaults) {
  // What spool train wrote before it recorded images, seeds and metrics.
  TempDir dir;
  save_tensors(checkpoint_path(dir.path().string()),
               {{"step", Tensor::scalar<std::int64_t>(20)},
                {"iterator_state", Tensor::from_bytes("")},
                {"metadata/model", Tensor::from_bytes("cnn/horses-or-humans")}});
  const TrainingState old = restore_checkpoint(dir.path().string(), {}, nullptr);
  EXPECT_EQ(old.step, 20);
  EXPECT_EQ(old.epoch, 0);
  EXPECT_EQ(old.epoch_step, 0);
  EXPECT_EQ(old.seed, 0u);
  EXPECT_EQ(old.info.model, "cnn/horses-or-humans");
  EXPECT_TRUE(old.info.learning_rate.empty());
  EXPECT_FALSE(old.info.image_input.has_value());
  EXPECT_TRUE(old.metrics.empty());
  EXPECT_TRUE(old.info.metadata.empty());
  const ImageInput input = old.info.image_input.value_or(ImageInput{});
  EXPECT_EQ(input, (ImageInput{.image_size = 150, .color_mode = "rgb", .interpolation = "bilinear"}));

  // One of the three keys: the others are the defaults.
  save_tensors(checkpoint_path(dir.path().string()),
               {{"step", Tensor::scalar<std::int64_t>(0)},
                {"iterator_state", Tensor::from_bytes("")},
                {"metadata/image_size", Tensor::from_bytes("48")}});
  EXPECT_EQ(restore_checkpoint(dir.path().string(), {}, nullptr).info.image_input,
            (ImageInput{.image_size = 48, .color_mode = "rgb", .interpolation = "bilinear"}));
}

TEST(TrainingStateTest, NumbersThatDoNotParseAreRefusedNamingKeyAndValue) {
  const std::string path = "run/checkpoint.tensors";
  for (const auto& [key, value, message] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"epoch", "two", "the checkpoint's epoch 'two' is not a count"},
           {"epoch_step", "-1", "the checkpoint's epoch_step '-1' is not a count"},
           {"seed", "42x", "the checkpoint's seed '42x' is not a seed"},
           {"image_size", "0", "the checkpoint's image_size '0' is not a side in 1..4096"}}) {
    const std::vector<NamedTensor> entries = {{"step", Tensor::scalar<std::int64_t>(0)},
                                              {"iterator_state", Tensor::from_bytes("")},
                                              {"metadata/" + key, Tensor::from_bytes(value)}};
    try {
      read_training_state(entries, path);
      ADD_FAILURE() << key << " '" << value << "' was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("'" + path + "': " + message), std::string::npos) << e.what();
    }
  }
  try {
    read_training_state(std::vector<NamedTensor>{{"step", Tensor::scalar<std::int64_t>(0)}}, path);
    ADD_FAILURE() << "a state without iterator_state was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("has no 'iterator_state': not a checkpoint"), std::string::npos) << e.what();
  }
}

TEST(TrainingStateTest, MetadataMayNotShadowATypedField) {
  TrainingState state;
  state.info.metadata = {{"epoch", "3"}};
  try {
    training_state_entries(state);
    FAIL() << "metadata 'epoch' was written beside the typed epoch";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("metadata key 'epoch' is a field of TrainingState"), std::string::npos)
        << e.what();
  }
}

TEST(TrainingStateTest, SaveMetricReplacesTheMetricsEarlierNumbers) {
  TrainingState state;
  metrics::Mean mean("loss");
  mean.update(2.0, 3.0);
  save_metric(state, mean);
  mean.update(4.0, 1.0);
  save_metric(state, mean);
  ASSERT_EQ(state.metrics.size(), 2u);
  metrics::Mean back("loss");
  ASSERT_TRUE(restore_metric(state, back));
  EXPECT_EQ(back.total(), 10.0);
  EXPECT_EQ(back.count(), 4.0);
}

}  // namespace
}  // namespace spool::autodiff
