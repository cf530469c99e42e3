// Model: a subclass with its own call (built by tracing it, named and initialised as
// Sequential), frozen layers and models (trainable_variables, the tape, the summary's
// counts, BatchNormalization in inference mode), save_weights / load_weights, the
// errors of a subclass that forgets a layer or its call, and serving: two threads
// calling infer on one model get bitwise what one thread gets (run under TSan in CI).
#include "spool/autodiff/layers/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spool/autodiff/layers.h"
#include "spool/autodiff/layers/sequential.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/random.h"
#include "autodiff/layers_test_support.h"
#include "test_support.h"

namespace spool::layers {
namespace {

using testing::error_of;
using testing::uniform32;

// x -> relu(W1 x) = h; h + relu(W2 h) -> BatchNormalization -> Dropout -> W3: a residual
// block written as Keras' subclassing guide writes one.
class ResidualMlp : public Model {
 public:
  explicit ResidualMlp(std::int64_t width = 16, std::int64_t outputs = 4)
      : Model("residual_mlp"),
        hidden_(add_layer(Dense(DenseOptions(width).activation("relu")))),
        block_(add_layer(Dense(DenseOptions(width).activation("relu")))),
        norm_(add_layer(BatchNormalization())),
        drop_(add_layer(Dropout(0.25))),
        head_(add_layer(Dense(DenseOptions(outputs).name("head")))) {}

  std::shared_ptr<Dense> block() const { return block_; }

 protected:
  Tensor call(const Tensor& x, const CallContext& context) const override {
    const Tensor h = (*hidden_)(x, context);
    const Tensor r = (*norm_)(h + (*block_)(h, context), context);
    return (*head_)((*drop_)(r, context), context);
  }

 private:
  std::shared_ptr<Dense> hidden_, block_;
  std::shared_ptr<BatchNormalization> norm_;
  std::shared_ptr<Dropout> drop_;
  std::shared_ptr<Dense> head_;
};

TEST(Model, SubclassBuildsByTracingItsCallWithKerasNames) {
  ResidualMlp model;
  EXPECT_FALSE(model.built());
  model.build(Shape{8}, 3);
  EXPECT_EQ(model.output_shape(), (Shape{4}));
  std::vector<std::string> names;
  for (const autodiff::Variable& v : model.variables()) names.push_back(v.name());
  EXPECT_EQ(names, (std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
                                             "batch_normalization/gamma", "batch_normalization/beta",
                                             "batch_normalization/moving_mean",
                                             "batch_normalization/moving_variance", "head/kernel", "head/bias"}));
  EXPECT_EQ(model.count_params(), (8 * 16 + 16) + (16 * 16 + 16) + 4 * 16 + (16 * 4 + 4));
  EXPECT_EQ(model.non_trainable_params(), 2 * 16);
  EXPECT_EQ(model.trainable_variables().size(), 8u);
  EXPECT_EQ(&model.layer("dense_1"), model.block().get());

  // The call as written, by hand, in inference (BatchNormalization: moving mean 0,
  // variance 1, gamma 1, beta 0; Dropout: identity).
  const Tensor x = uniform32(Shape{5, 8}, 4);
  const auto& v = model.variables();
  const Tensor h = relu(add(matmul(x, v[0]), v[1]));
  const Tensor r = add(h, relu(add(matmul(h, v[2]), v[3])));
  const Tensor want = add(matmul(div(r, std::sqrt(1 + 1e-3)), v[8]), v[9]);
  const std::vector<float> got = model(x).to_vector<float>(), expected = want.to_vector<float>();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5) << i;

  // Layer i initialises from fork(i) of the seed: the same seed, the same weights.
  ResidualMlp same, other;
  same.build(Shape{8}, 3);
  other.build(Shape{8}, 4);
  const Tensor flat = model.arena().flat();
  EXPECT_EQ(flat.to_vector<float>(), same.arena().flat().to_vector<float>());
  EXPECT_NE(flat.to_vector<float>(), other.arena().flat().to_vector<float>());
  // The trace is recorded by no tape, even an active one.
  autodiff::GradientTape tape;
  ResidualMlp traced;
  traced.build(Shape{8}, 3);
  EXPECT_EQ(tape.recorded_ops(), 0);
}

class ForgetsALayer : public Model {
 public:
  ForgetsALayer() : Model("forgetful"), used_(add_layer(Dense(DenseOptions(2)))) {
    add_layer(Dense(DenseOptions(3).name("unused")));
  }

 protected:
  Tensor call(const Tensor& x, const CallContext& context) const override { return (*used_)(x, context); }

 private:
  std::shared_ptr<Dense> used_;
};

class NoCall : public Model {
 public:
  NoCall() : Model("no_call") { add_layer(Dense(DenseOptions(2))); }
};

TEST(Model, SubclassErrorsNameTheModelAndTheLayer) {
  ForgetsALayer forgetful;
  const std::string unused = error_of([&] { forgetful.build(Shape{4}, 1); });
  EXPECT_NE(unused.find("Model 'forgetful': Dense 'unused' was added but call() does not use it"), std::string::npos)
      << unused;
  NoCall no_call;
  const std::string call = error_of([&] { no_call.build(Shape{4}, 1); });
  EXPECT_NE(call.find("Model 'no_call': has no forward pass"), std::string::npos) << call;
  ResidualMlp unbuilt;
  const std::string early = error_of([&] { unbuilt(Tensor::zeros(Shape{1, 8}, DType::kF32)); });
  EXPECT_NE(early.find("Model 'residual_mlp': called before build()"), std::string::npos) << early;
  Sequential first;
  auto dense = std::make_shared<Dense>(DenseOptions(2));
  first.add(dense);
  Sequential second;
  const std::string twice = error_of([&] { second.add(dense); });
  EXPECT_NE(twice.find("already belongs to a model"), std::string::npos) << twice;
}

TEST(Model, FrozenLayersLeaveTheTapeTheOptimizerListAndTheTrainableCount) {
  ResidualMlp model;
  model.build(Shape{8}, 3);
  model.layer("dense_1").trainable(false);
  std::vector<std::string> trainable;
  for (const autodiff::Variable& v : model.trainable_variables()) trainable.push_back(v.name());
  EXPECT_EQ(trainable, (std::vector<std::string>{"dense/kernel", "dense/bias", "batch_normalization/gamma",
                                                 "batch_normalization/beta", "head/kernel", "head/bias"}));
  EXPECT_EQ(model.trainable_params(), (8 * 16 + 16) + 2 * 16 + (16 * 4 + 4));
  EXPECT_EQ(model.non_trainable_params(), (16 * 16 + 16) + 2 * 16);
  EXPECT_NE(model.summary().find("Non-trainable params: 304\n"), std::string::npos) << model.summary();

  // The tape does not watch a frozen variable: no gradient reaches it.
  const autodiff::Variable frozen = model.block()->kernel();
  Generator rng(1);
  autodiff::GradientTape tape;
  const Tensor loss = sum(model(uniform32(Shape{4, 8}, 5), {.training = true, .rng = &rng}));
  const std::vector<Tensor> grads = tape.gradient(loss, std::vector<autodiff::Variable>{frozen, model.variables()[0]});
  EXPECT_FALSE(grads[0].defined());
  EXPECT_TRUE(grads[1].defined());

  // Unfreezing gives back what each variable was made with: the moving statistics stay
  // non-trainable.
  model.trainable(false);
  EXPECT_TRUE(model.trainable_variables().empty());
  EXPECT_EQ(model.trainable_params(), 0);
  model.trainable(true);
  EXPECT_EQ(model.trainable_variables().size(), 8u);
  EXPECT_EQ(model.non_trainable_params(), 2 * 16);
}

TEST(Model, FrozenBatchNormalizationRunsInInferenceModeAndFreezingBeforeBuildWorks) {
  Sequential model;
  model.add(Dense(DenseOptions(3).name("frozen_early"))).add(BatchNormalization());
  model.layer("frozen_early").trainable(false);  // before build: variables are made frozen
  model.build(Shape{2}, 1);
  EXPECT_FALSE(model.variables()[0].trainable());
  model.layer("batch_normalization").trainable(false);
  const Tensor x = uniform32(Shape{6, 2}, 2);
  const Tensor trained = model(x, {.training = true});
  EXPECT_EQ(trained.to_vector<float>(), model.infer(x).to_vector<float>());
  for (float m : static_cast<BatchNormalization&>(model.layer("batch_normalization"))
                     .moving_mean()
                     .unwatched_value()
                     .to_vector<float>()) {
    EXPECT_EQ(m, 0.0f);  // a frozen BatchNormalization updates nothing
  }
}

TEST(Model, SaveWeightsAndLoadWeightsRoundTripEveryVariable) {
  spool::testing::TempDir dir;
  ResidualMlp saved;
  saved.build(Shape{8}, 3);
  Generator rng(2);
  saved(uniform32(Shape{8, 8}, 6), {.training = true, .rng = &rng});  // moves the moving statistics
  saved.save_weights(dir.file("weights"));
  ResidualMlp loaded;
  loaded.build(Shape{8}, 99);
  EXPECT_NE(loaded.arena().flat().to_vector<float>(), saved.arena().flat().to_vector<float>());
  loaded.load_weights(dir.file("weights"));
  EXPECT_EQ(loaded.arena().flat().to_vector<float>(), saved.arena().flat().to_vector<float>());
  const Tensor x = uniform32(Shape{3, 8}, 7);
  EXPECT_EQ(loaded.infer(x).to_vector<float>(), saved.infer(x).to_vector<float>());
}

// What a server does: one built model, const, called from several threads at once.
std::vector<float> serve(const Model& model, const Tensor& x) { return model.infer(x).to_vector<float>(); }

TEST(ModelServing, TwoThreadsInferringOnOneModelGetTheSingleThreadBits) {
  Sequential model("served");
  model.add(Conv2D(Conv2DOptions(4, 3).activation("relu")))
      .add(BatchNormalization())
      .add(Flatten())
      .add(Dropout(0.5))
      .add(Dense(DenseOptions(3)));
  model.build(Shape{6, 6, 2}, 5);
  Generator rng(3);
  model(uniform32(Shape{8, 6, 6, 2}, 8), {.training = true, .rng = &rng});  // non-trivial moving statistics
  const std::vector<float> moving = model.arena().flat().to_vector<float>();

  const Tensor a = uniform32(Shape{5, 6, 6, 2}, 9), b = uniform32(Shape{7, 6, 6, 2}, 10);
  const std::vector<float> want_a = serve(model, a), want_b = serve(model, b);
  EXPECT_EQ(want_a, model(a).to_vector<float>());  // infer is the training = false call
  constexpr int kCalls = 20;
  std::vector<std::vector<float>> got_a(kCalls), got_b(kCalls);
  std::thread ta([&] {
    for (auto& g : got_a) g = serve(model, a);
  });
  std::thread tb([&] {
    for (auto& g : got_b) g = serve(model, b);
  });
  ta.join();
  tb.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(got_a[i], want_a) << "call " << i;
    EXPECT_EQ(got_b[i], want_b) << "call " << i;
  }
  EXPECT_EQ(model.arena().flat().to_vector<float>(), moving);  // inference changed no variable
}

}  // namespace
}  // namespace spool::layers
