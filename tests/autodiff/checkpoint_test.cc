// Checkpoints: round trip, refusals (shape, missing variable, corruption), and resume
// exactness — k steps, checkpoint, fresh model and optimizer, restore, the rest —
// equal bit for bit to an uninterrupted run.
#include "spool/autodiff/checkpoint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>

#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim.h"
#include "spool/autodiff/tape.h"
#include "test_support.h"

namespace spool::autodiff {
namespace {

using spool::testing::TempDir;

// A 4-8-3 MLP with raw variables in one arena; `seed` varies the initial weights, so a
// restore that failed to overwrite them shows.
struct Mlp {
  VariableArena arena;
  explicit Mlp(int seed) {
    auto init = [&](const char* name, Shape shape, double scale) {
      Tensor t = Tensor::empty(shape, DType::kF32);
      for (std::int64_t i = 0; i < t.numel(); ++i)
        t.data<float>()[i] = static_cast<float>(scale * std::sin(1.3 * static_cast<double>(i + 1) + seed));
      arena.add(name, t);
    };
    init("dense/kernel", Shape{4, 8}, 0.5);
    init("dense/bias", Shape{8}, 0.1);
    init("dense_1/kernel", Shape{8, 3}, 0.5);
    init("dense_1/bias", Shape{3}, 0.1);
    arena.add("steps_seen", Tensor::zeros(Shape{1}, DType::kF32), /*trainable=*/false);
  }
  std::vector<Variable> trainable() const { return arena.trainable_variables(); }
  std::span<const Variable> all() const { return arena.variables(); }
};

// Batch `step` of a deterministic stream: 6 examples of 4 features, 3 classes.
std::pair<Tensor, Tensor> batch(int step) {
  Tensor x = Tensor::empty(Shape{6, 4}, DType::kF32), y = Tensor::zeros(Shape{6, 3}, DType::kF32);
  for (int i = 0; i < 6; ++i) {
    const int n = step * 6 + i;
    for (int j = 0; j < 4; ++j) x.at<float>({i, j}) = static_cast<float>(std::sin(0.37 * n * (j + 1)));
    y.at<float>({i, n % 3}) = 1;
  }
  return {x, y};
}

void train(Mlp& m, Optimizer& opt, int from, int to) {
  const std::vector<Variable> vars = m.trainable();
  for (int step = from; step < to; ++step) {
    const auto [x, y] = batch(step);
    std::vector<Tensor> grads;
    {
      GradientTape tape;
      const Tensor h = relu(add(matmul(x, vars[0]), vars[1]));
      const Tensor logits = add(matmul(h, vars[2]), vars[3]);
      const Tensor loss = neg(mean(sum(mul(y, log_softmax(logits)), {-1})));
      grads = tape.gradient(loss, vars);
    }
    opt.apply_gradients(grads, vars);
    Variable steps = m.all().back();
    steps.assign_add(Tensor::ones(Shape{1}, DType::kF32));
  }
}

std::string bytes_of(const Mlp& m) {
  const Tensor flat = m.arena.flat();
  return std::string(reinterpret_cast<const char*>(flat.raw_data()), flat.numel() * sizeof(float));
}

void expect_resume_is_exact(const std::function<std::unique_ptr<Optimizer>()>& make) {
  constexpr int kSteps = 20, kStop = 7;
  Mlp straight(0);
  std::unique_ptr<Optimizer> opt = make();
  train(straight, *opt, 0, kSteps);

  TempDir dir;
  {
    Mlp first(0);
    std::unique_ptr<Optimizer> o = make();
    train(first, *o, 0, kStop);
    TrainingState at_stop;
    at_stop.step = kStop;
    at_stop.iterator_state = "iterator bytes";
    save_checkpoint(dir.file("ckpt"), first.all(), o.get(), at_stop);
  }
  Mlp resumed(1);
  std::unique_ptr<Optimizer> o = make();
  const TrainingState state = restore_checkpoint(dir.file("ckpt"), resumed.all(), o.get());
  ASSERT_EQ(state.step, kStop);
  EXPECT_EQ(o->iterations(), kStop);
  train(resumed, *o, static_cast<int>(state.step), kSteps);
  EXPECT_EQ(bytes_of(resumed), bytes_of(straight)) << "resumed weights differ from the uninterrupted run";
  EXPECT_NE(bytes_of(Mlp(0)), bytes_of(straight)) << "training moved the weights";
}

TEST(Checkpoint, ResumeWithAdamIsBitExact) {
  expect_resume_is_exact([] { return std::make_unique<Adam>(AdamOptions().learning_rate(0.01)); });
}

TEST(Checkpoint, ResumeWithSgdMomentumIsBitExact) {
  expect_resume_is_exact([] { return std::make_unique<SGD>(SGDOptions().learning_rate(0.1).momentum(0.9)); });
}

TEST(Checkpoint, RoundTripsVariablesOptimizerAndTrainingState) {
  TempDir dir;
  Mlp m(0);
  RMSprop rms(RMSpropOptions().momentum(0.5));
  train(m, rms, 0, 3);
  TrainingState state;
  state.step = 3;
  state.iterator_state = std::string("\0\1binary\xff", 9);
  state.epoch = 1;
  state.seed = 42;
  state.info.model = "mlp";
  state.info.metadata = {{"note", "first run"}};
  EXPECT_FALSE(checkpoint_exists(dir.file("ckpt")));
  save_checkpoint(dir.file("ckpt"), m.all(), &rms, state);
  EXPECT_TRUE(checkpoint_exists(dir.file("ckpt")));

  Mlp back(5);
  RMSprop rms2(RMSpropOptions().momentum(0.5));
  const TrainingState got = restore_checkpoint(dir.file("ckpt"), back.all(), &rms2);
  EXPECT_EQ(got.step, 3);
  EXPECT_EQ(got.iterator_state, state.iterator_state);
  EXPECT_EQ(got.epoch, 1);
  EXPECT_EQ(got.seed, 42u);
  EXPECT_EQ(got.info.model, "mlp");
  EXPECT_EQ(got.info.metadata, state.info.metadata);
  EXPECT_EQ(bytes_of(back), bytes_of(m));
  EXPECT_EQ(back.all().back().unwatched_value().to_vector<float>(), std::vector<float>{3}) << "non-trainable too";
  const std::vector<NamedTensor> a = rms.state(), b = rms2.state();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(std::string(a[i].tensor.contiguous().as_string_view()), std::string(b[i].tensor.contiguous().as_string_view()));
  }
}

std::string restore_error(const std::string& dir, std::span<const Variable> vars, Optimizer* opt) {
  try {
    restore_checkpoint(dir, vars, opt);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Checkpoint, RefusesAnotherShapeNamingTheVariableAndBothShapes) {
  TempDir dir;
  Mlp m(0);
  save_checkpoint(dir.file("ckpt"), m.all(), nullptr, {});
  VariableArena other;
  other.add("dense/kernel", Tensor::zeros(Shape{4, 16}, DType::kF32));
  const std::string path = checkpoint_path(dir.file("ckpt"));
  EXPECT_EQ(restore_error(dir.file("ckpt"), other.variables(), nullptr),
            "restore_checkpoint: variable 'dense/kernel' is f32 [4, 8] in '" + path + "' but f32 [4, 16] here");
  VariableArena f64(DType::kF64);
  f64.add("dense/bias", Tensor::zeros(Shape{8}, DType::kF64));
  EXPECT_EQ(restore_error(dir.file("ckpt"), f64.variables(), nullptr),
            "restore_checkpoint: variable 'dense/bias' is f32 [8] in '" + path + "' but f64 [8] here");
}

TEST(Checkpoint, RefusesAMissingVariableAndChangesNothing) {
  TempDir dir;
  Mlp m(0);
  Adam adam;
  save_checkpoint(dir.file("ckpt"), m.all(), &adam, {});
  Mlp bigger(3);
  const std::string before = bytes_of(bigger);
  Variable extra = bigger.arena.add("head/kernel", Tensor::zeros(Shape{3, 2}, DType::kF32));
  std::vector<Variable> vars(bigger.all().begin(), bigger.all().end());
  EXPECT_EQ(restore_error(dir.file("ckpt"), vars, nullptr),
            "restore_checkpoint: '" + checkpoint_path(dir.file("ckpt")) +
                "' has no variable 'head/kernel' (f32 [3, 2] here)");
  EXPECT_EQ(bytes_of(bigger).substr(0, before.size()), before);
  // A checkpoint without the optimizer's slots is refused before any variable changes.
  save_checkpoint(dir.file("plain"), m.all(), nullptr, {});
  Mlp target(4);
  const std::string target_before = bytes_of(target);
  Adam fresh;
  EXPECT_EQ(restore_error(dir.file("plain"), target.all(), &fresh),
            "adam.load_state: no tensor 'optimizer/adam/iterations' for the step counter");
  EXPECT_EQ(bytes_of(target), target_before);
}

TEST(Checkpoint, CorruptOrTruncatedFileIsDataLossNamingTheFile) {
  TempDir dir;
  Mlp m(0);
  Adam adam;
  save_checkpoint(dir.file("ckpt"), m.all(), &adam, {});
  const std::string path = checkpoint_path(dir.file("ckpt"));
  const std::string good = spool::testing::read_file(path);
  for (std::size_t at : {good.size() / 3, good.size() / 2, good.size() - 3}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    spool::testing::write_file(path, bad);
    Mlp target(1);
    try {
      restore_checkpoint(dir.file("ckpt"), target.all(), &adam);
      ADD_FAILURE() << "a flipped byte at " << at << " was not noticed";
    } catch (const DataLossError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  spool::testing::write_file(path, good.substr(0, good.size() - 10));
  Mlp target(1);
  EXPECT_THROW(restore_checkpoint(dir.file("ckpt"), target.all(), &adam), DataLossError);
  EXPECT_THROW(restore_checkpoint(dir.file("nothing here"), target.all(), &adam), IoError);
}

}  // namespace
}  // namespace spool::autodiff
