// examples/classify (spool_classify), run as a user runs it: on a checkpoint that
// `spool train` really wrote for a tiny learnable Fashion-MNIST-shaped set, each image
// gets the class it was drawn as and the probability the restored model gives (computed
// here from the IDX pixels, not from the PNG); resized and RGB files give the same
// answer; the horses-or-humans CNN answers through its sigmoid; and every failure is
// exit 1 with a message naming the file or checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/layers/model_zoo.h"
#include "spool/data/image/idx.h"
#include "spool/data/image/png.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "test_support.h"
#include "tools/convert_test_support.h"
#include "tools/run_spool.h"

namespace spool::testing {
namespace {

constexpr int kSide = 28;
constexpr int kClasses = 10;
// Zalando's label names, in label order.
const char* const kFashionNames[kClasses] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

RunResult classify(const std::vector<std::string>& args) { return run_program(SPOOL_CLASSIFY_PATH, args); }

// A checkpoint of `model` in `dir` that says it holds `name`, as spool train's do.
void save_as(const std::string& dir, const layers::Sequential& model, const std::string& name) {
  autodiff::TrainingState state;
  state.info.model = name;
  autodiff::save_checkpoint(dir, model.variables(), nullptr, state);
}

std::string usage() {
  const RunResult help = classify({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  return help.out;
}

// Image i of class c: a bright band of rows 2c+4..2c+5 over faint noise, so that an MLP
// learns the classes in a few epochs and the predictions differ from image to image.
std::string pixels_of(int count, const std::vector<int>& labels) {
  std::string out;
  std::uint32_t state = 12345;
  for (int i = 0; i < count; ++i) {
    for (int r = 0; r < kSide; ++r) {
      for (int c = 0; c < kSide; ++c) {
        state = state * 1664525u + 1013904223u;
        const bool band = r / 2 == labels[i] + 2;
        out.push_back(static_cast<char>(band ? 180 + (state >> 26) : (state >> 27)));
      }
    }
  }
  return out;
}

std::string line(const std::string& name, int label, double probability) {
  char p[32];
  std::snprintf(p, sizeof p, "%.4f", probability);
  return name + "\t" + kFashionNames[label] + "\t" + p;
}

class Classify : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    for (const auto& [split, count] : {std::pair{std::string("train"), 400}, std::pair{std::string("t10k"), 20}}) {
      std::vector<int> labels;
      std::string label_bytes;
      for (int i = 0; i < count; ++i)
        labels.push_back(i % kClasses), label_bytes.push_back(static_cast<char>(i % kClasses));
      const auto n = static_cast<std::uint32_t>(count);
      write_idx(dir_->file(split + "-images-idx3-ubyte"), {n, kSide, kSide}, pixels_of(count, labels), false);
      write_idx(dir_->file(split + "-labels-idx1-ubyte"), {n}, label_bytes, false);
    }
    const RunResult r = run_spool({"train", "--data", dir_->path().string(), "--model", "mlp", "--epochs", "3", "--lr",
                                   "0.01", "--batch-size", "16", "--threads", "1", "--out", checkpoint()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string checkpoint() { return dir_->file("run"); }
  static std::string test_images() { return dir_->file("t10k-images-idx3-ubyte"); }

  // Test image i as u8 [28, 28, 1], straight from the IDX file.
  static Tensor test_image(int i) {
    const Tensor all = data::read_idx(test_images());
    return all.select(0, i).reshape({kSide, kSide, 1}).clone();
  }

  // What the checkpoint's model says about test image i: its top class and probability.
  static std::pair<int, double> reference(int i) {
    layers::Sequential model = layers::zoo_model("mlp", Shape{kSide, kSide, 1}, kClasses, 0);
    autodiff::restore_checkpoint(checkpoint(), model.variables(), nullptr);
    const Tensor pixels = test_image(i);
    Tensor x = Tensor::empty(Shape{1, kSide, kSide, 1}, DType::kF32);
    for (int k = 0; k < kSide * kSide; ++k) x.data<float>()[k] = pixels.data<std::uint8_t>()[k] * (1.0f / 255.0f);
    const std::vector<float> logits = model(x).to_vector<float>();
    int best = 0;
    for (int k = 1; k < kClasses; ++k) best = logits[k] > logits[best] ? k : best;
    double sum = 0;
    for (const float z : logits) sum += std::exp(double{z} - logits[best]);
    return {best, 1 / sum};
  }

  static TempDir* dir_;
};
TempDir* Classify::dir_ = nullptr;

TEST_F(Classify, EachPngGetsItsClassAndTheModelsProbability) {
  TempDir out;
  std::vector<std::string> args = {checkpoint()}, want;
  for (int i = 0; i < kClasses; ++i) {
    const std::string path = out.file("test-" + std::to_string(i) + ".png");
    write_file(path, data::encode_png(test_image(i)));
    args.push_back(path);
    const auto [label, probability] = reference(i);
    EXPECT_EQ(label, i) << "the tiny set is learnable: image " << i << " should get its own class";
    want.push_back(line(path, label, probability));
  }
  const RunResult r = classify(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(lines(r.out), want);
}

TEST_F(Classify, LargerAndColourImagesAreConvertedAsTraining) {
  // 56x56 with every pixel doubled: the half-pixel bilinear resize back to 28x28
  // averages two equal pixels, so the input is the original exactly; RGB with R=G=B
  // turns back into the same gray. Without the conversions the model would refuse them.
  const Tensor gray = test_image(3);
  Tensor big = Tensor::empty(Shape{2 * kSide, 2 * kSide, 1}, DType::kU8);
  Tensor rgb = Tensor::empty(Shape{kSide, kSide, 3}, DType::kU8);
  for (int r = 0; r < 2 * kSide; ++r) {
    for (int c = 0; c < 2 * kSide; ++c)
      big.data<std::uint8_t>()[r * 2 * kSide + c] = gray.at<std::uint8_t>({r / 2, c / 2, 0});
  }
  for (int k = 0; k < kSide * kSide * 3; ++k) rgb.data<std::uint8_t>()[k] = gray.data<std::uint8_t>()[k / 3];
  TempDir out;
  write_file(out.file("big.png"), data::encode_png(big));
  write_file(out.file("rgb.png"), data::encode_png(rgb));
  const auto [label, probability] = reference(3);
  const RunResult r = classify({checkpoint(), out.file("big.png"), out.file("rgb.png")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{line(out.file("big.png"), label, probability),
                                                    line(out.file("rgb.png"), label, probability)}));
}

TEST_F(Classify, IdxImageByIndex) {
  const auto [label, probability] = reference(7);
  const RunResult r = classify({checkpoint(), "--idx", test_images(), "--index", "7"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), std::vector<std::string>{line(test_images() + "#7", label, probability)});

  const RunResult past = classify({checkpoint(), "--idx", test_images(), "--index", "20"});
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_EQ(past.err, "spool_classify: --index 20 out of range for '" + test_images() + "' of shape [20, 28, 28]\n");

  TempDir dir;  // an IDX image is 28x28 gray: not what a 150x150 RGB model takes
  save_as(dir.file("hh"), layers::zoo_model("cnn", Shape{150, 150, 3}, 1, 0), "cnn/horses-or-humans");
  const RunResult wrong = classify({dir.file("hh"), "--idx", test_images(), "--index", "0"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err, "spool_classify: '" + test_images() +
                           "#0' is [28, 28, 1] but the model takes horses-or-humans images, [150, 150, 3]\n");
}

TEST_F(Classify, UnreadableImagesAreReportedAndTheOthersStillClassified) {
  TempDir out;
  const std::string good = out.file("good.png"), missing = out.file("missing.png"), cut = out.file("cut.png"),
                    text = out.file("notes.png");
  const std::string png = data::encode_png(test_image(0));
  write_file(good, png);
  write_file(cut, png.substr(0, png.size() / 2));
  write_file(text, "not an image at all");
  const RunResult r = classify({checkpoint(), missing, cut, good, text});
  EXPECT_EQ(r.exit_code, 1);
  const auto [label, probability] = reference(0);
  EXPECT_EQ(lines(r.out), std::vector<std::string>{line(good, label, probability)});
  const std::vector<std::string> errors = lines(r.err);
  ASSERT_EQ(errors.size(), 3u) << r.err;
  EXPECT_EQ(errors[0], "spool_classify: no image file '" + missing + "'");
  for (const std::string& e : {errors[1], errors[2]}) EXPECT_EQ(e.rfind("spool_classify: ", 0), 0u) << e;
  EXPECT_NE(errors[1].find(cut), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find(text), std::string::npos) << errors[2];
}

TEST(ClassifyCheckpoint, MissingCheckpointIsAnError) {
  TempDir dir;
  const RunResult r = classify({dir.file("nowhere"), "a.png"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "spool_classify: no checkpoint in '" + dir.file("nowhere") + "' ('" +
                       autodiff::checkpoint_path(dir.file("nowhere")) + "' is missing; spool train --out writes it)\n");
}

TEST(ClassifyCheckpoint, CheckpointOfAnotherModelIsRefused) {
  TempDir dir;
  layers::Sequential model = layers::zoo_model("mlp", Shape{kSide, kSide, 1}, kClasses, 0);
  save_as(dir.file("other"), model, "mlp/cifar-10");
  autodiff::save_checkpoint(dir.file("unnamed"), model.variables(), nullptr, {});

  const RunResult other = classify({dir.file("other"), "a.png"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_EQ(other.err, "spool_classify: the checkpoint in '" + dir.file("other") +
                           "' is of model 'mlp/cifar-10', not one of mlp|cnn / fashion-mnist|horses-or-humans\n");
  const RunResult unnamed = classify({dir.file("unnamed"), "a.png"});
  EXPECT_EQ(unnamed.exit_code, 1);
  EXPECT_EQ(unnamed.err, "spool_classify: the checkpoint in '" + dir.file("unnamed") +
                             "' does not say which model it holds (no \"model\" metadata, which spool train writes)\n");
}

// An untrained three-block CNN for `input` pixels, saved as spool train names it with
// `recorded` image input; the output bias is pushed both ways so that both classes come out,
// each with the probability the model gives the image prepared by `options`.
void expect_horses_or_humans_answers(const data::ImageFolderOptions& options, const Shape& input,
                                     const std::optional<autodiff::ImageInput>& recorded) {
  TempDir dir;
  const std::string image = dir.file("rider.png");
  Tensor rgba = Tensor::empty(Shape{300, 300, 4}, DType::kU8);
  for (std::int64_t k = 0; k < rgba.numel(); ++k) rgba.data<std::uint8_t>()[k] = static_cast<std::uint8_t>(k * 7 % 251);
  write_file(image, data::encode_png(rgba));
  const Tensor loaded = data::load_image_file(image, options);
  ASSERT_EQ(loaded.shape(), input);
  std::vector<std::string> labels;
  for (const float bias : {3.0f, -3.0f}) {
    layers::Sequential model = layers::zoo_model("cnn", input, 1, 9);
    autodiff::Variable output_bias = model.variables().back();  // a handle: assigns in the model
    output_bias.assign(Tensor::from_vector<float>({bias}));
    const std::string ck = dir.file(bias > 0 ? "humans" : "horses");
    autodiff::TrainingState state;
    state.info.image_input = recorded;
    state.info.model = "cnn/horses-or-humans";
    autodiff::save_checkpoint(ck, model.variables(), nullptr, state);

    Tensor x = Tensor::empty(Shape{1, input[0], input[1], input[2]}, DType::kF32);
    for (std::int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = loaded.data<float>()[k] * (1.0f / 255.0f);
    const double p = 1 / (1 + std::exp(-double{model(x).item<float>()}));
    char want[64];
    labels.push_back(p >= 0.5 ? "humans" : "horses");  // class 1 is the second sorted folder
    std::snprintf(want, sizeof want, "\t%s\t%.4f", labels.back().c_str(), p >= 0.5 ? p : 1 - p);
    const RunResult r = classify({ck, image});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, image + want + "\n");
  }
  EXPECT_EQ(labels, (std::vector<std::string>{"humans", "horses"}));
}

TEST(ClassifyCheckpoint, HorsesOrHumansWithoutInputMetadataIsRgb150Bilinear) {
  expect_horses_or_humans_answers(data::ImageFolderOptions().image_size({150, 150}), Shape{150, 150, 3}, std::nullopt);
}

// What spool train records since its defaults became 48x48 grayscale by area averaging;
// a bilinear 48x48 gray image would give other pixels and another probability.
TEST(ClassifyCheckpoint, HorsesOrHumansPreparesImagesAsTheCheckpointSays) {
  expect_horses_or_humans_answers(
      data::ImageFolderOptions().image_size({48, 48}).color_mode("grayscale").interpolation("area"), Shape{48, 48, 1},
      autodiff::ImageInput{.image_size = 48, .color_mode = "grayscale", .interpolation = "area"});
}

TEST(ClassifyCheckpoint, UnknownImageInputMetadataIsRefused) {
  TempDir dir;
  for (const auto& [key, input, message] : std::vector<std::tuple<std::string, autodiff::ImageInput, std::string>>{
           {"image_size", {.image_size = 0}, "the checkpoint's image_size '0' is not a side in 1..4096"},
           {"color_mode", {.color_mode = "cmyk"}, "the checkpoint's color_mode 'cmyk' is not rgb or grayscale"},
           {"interpolation", {.interpolation = "lanczos3"},
            "interpolation must be 'bilinear', 'nearest', 'bicubic' or 'area'"}}) {
    autodiff::TrainingState state;
    state.info.model = "cnn/horses-or-humans";
    state.info.image_input = input;
    autodiff::save_checkpoint(dir.file(key), layers::zoo_model("cnn", Shape{150, 150, 3}, 1, 0).variables(), nullptr,
                              state);
    const RunResult r = classify({dir.file(key), "a.png"});
    EXPECT_EQ(r.exit_code, 1) << key;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

TEST(ClassifyUsage, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(classify({}).exit_code, 2);
  EXPECT_EQ(classify({"dir"}).exit_code, 2);
  EXPECT_EQ(classify({"dir", "--index", "3"}).exit_code, 2) << "--index without --idx";
  EXPECT_EQ(classify({"dir", "a.png", "--idx"}).err, "spool_classify: --idx needs a value\n" + usage());
  const RunResult bad = classify({"dir", "--idx", "f", "--index", "x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "spool_classify: --index must be an integer >= 0, not 'x'\n");
  EXPECT_EQ(usage().rfind("usage: spool_classify CHECKPOINT_DIR IMAGE...\n", 0), 0u) << usage();
}

}  // namespace
}  // namespace spool::testing
