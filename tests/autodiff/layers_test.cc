// The layers: shapes and parameter counts against hand-computed numbers, Dense against a
// hand computation, every layer's gradients against central differences in f64,
// BatchNormalization's two modes and moving statistics, Dropout's scaling and seeding,
// and the errors a user meets first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "autodiff/layers_test_support.h"
#include "spool/autodiff/layers.h"
#include "spool/autodiff/layers/sequential.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
#include "spool/tensor/random.h"

namespace spool::layers {
namespace {

using namespace testing;  // layers_test_support.h

TEST(Dense, ForwardMatchesAHandComputation) {
  Sequential model;
  model.add(Dense(DenseOptions(2).activation("relu")));
  model.build(Shape{3}, 1);
  auto& dense = static_cast<Dense&>(model.layer("dense"));
  dense.kernel().assign(f32s({1, -1, 2, 0, -1, 3}, Shape{3, 2}));  // rows: inputs
  dense.bias().assign(f32s({0.5f, -4}, Shape{2}));
  const Tensor y = model(f32s({1, 2, 3, -1, 0, 1}, Shape{2, 3}));
  // [1,2,3]: 1·1 + 2·2 + 3·(−1) + 0.5 = 2.5; 1·(−1) + 0 + 3·3 − 4 = 4
  // [−1,0,1]: −1 + 0 − 1 + 0.5 = −1.5 → 0; 1 + 0 + 3 − 4 = 0
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{2.5f, 4, 0, 0}));
}

TEST(Dense, TanhSoftmaxAndRank3InputsWorkOnTheLastAxis) {
  Sequential model;
  model.add(Dense(DenseOptions(4).activation("tanh"))).add(Dense(DenseOptions(3).activation("softmax")));
  model.build(Shape{5, 2}, 3);
  EXPECT_EQ(model.output_shape(), (Shape{5, 3}));
  Generator gen(9);
  const Tensor y = model(random_uniform(Shape{2, 5, 2}, -1, 1, gen));
  ASSERT_EQ(y.shape(), (Shape{2, 5, 3}));
  const std::vector<float> rows = spool::kernels::sum(y, {-1}).to_vector<float>();
  for (float r : rows) EXPECT_NEAR(r, 1.0f, 1e-6f);
}

TEST(Dense, InitialisesGlorotUniformKernelAndZeroBiasFromTheSeed) {
  Sequential a, b, c;
  for (Sequential* m : {&a, &b, &c}) m->add(Dense(DenseOptions(64)));
  a.build(Shape{100}, 7);
  b.build(Shape{100}, 7);
  c.build(Shape{100}, 8);
  const std::vector<float> ka = a.variables()[0].unwatched_value().to_vector<float>();
  EXPECT_EQ(ka, b.variables()[0].unwatched_value().to_vector<float>());
  EXPECT_NE(ka, c.variables()[0].unwatched_value().to_vector<float>());
  const double limit = std::sqrt(6.0 / (100 + 64));
  double largest = 0;
  for (float v : ka) largest = std::max(largest, std::abs(static_cast<double>(v)));
  EXPECT_LE(largest, limit);
  EXPECT_GT(largest, 0.9 * limit);
  for (float v : a.variables()[1].unwatched_value().to_vector<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(Layers, OutputShapesAndParameterCountsAreKeras) {
  struct Case {
    std::shared_ptr<Layer> layer;
    Shape input, output;
    std::int64_t params;
  };
  const std::vector<Case> cases = {
      {std::make_shared<Dense>(DenseOptions(128)), Shape{784}, Shape{128}, 784 * 128 + 128},
      {std::make_shared<Dense>(DenseOptions(10).use_bias(false)), Shape{128}, Shape{10}, 1280},
      {std::make_shared<Conv2D>(Conv2DOptions(32, 3)), Shape{28, 28, 1}, Shape{26, 26, 32}, 9 * 32 + 32},
      {std::make_shared<Conv2D>(Conv2DOptions(8, 5, 3).strides(2).padding(Padding::kSame)), Shape{9, 10, 4},
       Shape{5, 5, 8}, 5 * 3 * 4 * 8 + 8},
      {std::make_shared<MaxPooling2D>(), Shape{11, 11, 64}, Shape{5, 5, 64}, 0},
      {std::make_shared<AveragePooling2D>(Pooling2DOptions(3).strides(1).padding(Padding::kSame)), Shape{7, 6, 2},
       Shape{7, 6, 2}, 0},
      {std::make_shared<GlobalAveragePooling2D>(), Shape{4, 4, 16}, Shape{16}, 0},
      {std::make_shared<Flatten>(), Shape{5, 5, 64}, Shape{1600}, 0},
      {std::make_shared<Dropout>(0.5), Shape{12}, Shape{12}, 0},
      {std::make_shared<BatchNormalization>(), Shape{6, 6, 32}, Shape{6, 6, 32}, 4 * 32},
      {std::make_shared<Embedding>(1000, 16), Shape{20}, Shape{20, 16}, 16000},
  };
  for (const Case& c : cases) {
    Sequential model;
    model.add(c.layer);
    model.build(c.input, 1);
    EXPECT_EQ(c.layer->output_shape(), c.output) << c.layer->type();
    EXPECT_EQ(c.layer->count_params(), c.params) << c.layer->type();
    EXPECT_EQ(model.count_params(), c.params) << c.layer->type();
  }
}

TEST(Layers, VariableNamesAndTrainability) {
  Sequential model;
  model.add(Dense(DenseOptions(4))).add(BatchNormalization()).add(Dense(DenseOptions(2)));
  model.build(Shape{3}, 1);
  std::vector<std::string> names;
  for (const autodiff::Variable& v : model.variables()) names.push_back(v.name());
  EXPECT_EQ(names, (std::vector<std::string>{"dense/kernel", "dense/bias", "batch_normalization/gamma",
                                             "batch_normalization/beta", "batch_normalization/moving_mean",
                                             "batch_normalization/moving_variance", "dense_1/kernel",
                                             "dense_1/bias"}));
  std::vector<std::string> trainable;
  for (const autodiff::Variable& v : model.trainable_variables()) trainable.push_back(v.name());
  EXPECT_EQ(trainable.size(), 6u);
  EXPECT_EQ(std::count(trainable.begin(), trainable.end(), "batch_normalization/moving_mean"), 0);
  EXPECT_EQ(model.trainable_params(), 3 * 4 + 4 + 8 + 4 * 2 + 2);
  EXPECT_EQ(model.non_trainable_params(), 8);
}

TEST(Layers, ShapeErrorsNameTheLayerAndTheShapes) {
  Sequential model;
  model.add(Flatten()).add(Conv2D(Conv2DOptions(4, 3)));
  const std::string built = error_of([&] { model.build(Shape{5, 5, 1}, 1); });
  EXPECT_NE(built.find("Conv2D 'conv2d'"), std::string::npos) << built;
  EXPECT_NE(built.find("(None, 25)"), std::string::npos) << built;

  Sequential dense;
  dense.add(Dense(DenseOptions(3)));
  dense.build(Shape{4}, 1);
  const std::string called = error_of([&] { dense(Tensor::zeros(Shape{2, 5}, DType::kF32)); });
  EXPECT_NE(called.find("Dense 'dense'"), std::string::npos) << called;
  EXPECT_NE(called.find("[2, 5]"), std::string::npos) << called;
  EXPECT_NE(called.find("(None, 4)"), std::string::npos) << called;

  Sequential small;
  small.add(MaxPooling2D(Pooling2DOptions(3)));
  const std::string pooled = error_of([&] { small.build(Shape{2, 2, 1}, 1); });
  EXPECT_NE(pooled.find("MaxPooling2D 'max_pooling2d'"), std::string::npos) << pooled;
  EXPECT_NE(pooled.find("(None, 2, 2, 1)"), std::string::npos) << pooled;

  const std::string typed = error_of([&] { dense(Tensor::zeros(Shape{2, 4}, DType::kF64)); });
  EXPECT_NE(typed.find("Dense 'dense': input is f64, its variables f32"), std::string::npos) << typed;

  EXPECT_THROW(DenseOptions(3).activation("swishy"), InvalidArgument);
  EXPECT_THROW(DenseOptions(3).kernel_initializer("glorot_uniformm"), InvalidArgument);
}

TEST(Layers, IntegerInputsNameTheLayerThatNeedsFloats) {
  // u8 pixels straight from a decoder: the message names the layer, not the matmul.
  Sequential dense;
  dense.add(Dense(DenseOptions(3)));
  dense.build(Shape{784}, 1);
  const std::string d = error_of([&] { dense(Tensor::zeros(Shape{4, 784}, DType::kU8)); });
  EXPECT_NE(d.find("Dense 'dense': input dtype u8, expected f32 (cast first)"), std::string::npos) << d;

  Sequential conv;
  conv.add(Conv2D(Conv2DOptions(2, 3)));
  conv.build(Shape{5, 5, 1}, 1);
  const std::string c = error_of([&] { conv(Tensor::zeros(Shape{2, 5, 5, 1}, DType::kI32)); });
  EXPECT_NE(c.find("Conv2D 'conv2d': input dtype i32, expected f32 (cast first)"), std::string::npos) << c;
  EXPECT_EQ(conv(Tensor::zeros(Shape{2, 5, 5, 1}, DType::kF32)).shape(), (Shape{2, 3, 3, 2}));
}

TEST(LayerGradients, DenseWithEachActivation) {
  for (const char* act : {"relu", "sigmoid", "tanh", "softmax", "linear"}) {
    Sequential model("m", DType::kF64);
    model.add(Dense(DenseOptions(3).activation(act).bias_initializer("ones")));
    model.build(Shape{4}, 5);
    SCOPED_TRACE(act);
    expect_gradients_match(model, {uniform64(Shape{2, 4}, 1)});
  }
}

TEST(LayerGradients, Conv2DSameStridedRelu) {
  Sequential model("m", DType::kF64);
  model.add(Conv2D(Conv2DOptions(3, 3).strides(2).padding(Padding::kSame).activation("relu")
                       .bias_initializer("ones")));
  model.build(Shape{5, 4, 2}, 5);
  expect_gradients_match(model, {uniform64(Shape{2, 5, 4, 2}, 2)});
}

TEST(LayerGradients, PoolingFlattenAndGlobalAverage) {
  for (int which = 0; which < 4; ++which) {
    Sequential model("m", DType::kF64);
    if (which == 0) model.add(MaxPooling2D());
    if (which == 1) model.add(AveragePooling2D(Pooling2DOptions(3).strides(2).padding(Padding::kSame)));
    if (which == 2) model.add(GlobalAveragePooling2D());
    if (which == 3) model.add(Flatten());
    model.build(Shape{4, 5, 3}, 5);
    expect_gradients_match(model, {uniform64(Shape{2, 4, 5, 3}, 3)});
  }
}

TEST(LayerGradients, BatchNormalizationInTrainingAndInference) {
  for (bool training : {true, false}) {
    Sequential model("m", DType::kF64);
    model.add(BatchNormalization());
    model.build(Shape{3, 4}, 5);
    auto& bn = static_cast<BatchNormalization&>(model.layer("batch_normalization"));
    bn.gamma().assign(uniform64(Shape{4}, 11, 0.5, 2));
    bn.beta().assign(uniform64(Shape{4}, 12));
    bn.moving_mean().assign(uniform64(Shape{4}, 13));
    bn.moving_variance().assign(uniform64(Shape{4}, 14, 0.5, 2));
    SCOPED_TRACE(training ? "training" : "inference");
    expect_gradients_match(model, {uniform64(Shape{5, 3, 4}, 4)}, CallContext{.training = training});
  }
}

TEST(LayerGradients, DropoutWithAFixedMaskAndEmbedding) {
  Sequential drop("m", DType::kF64);
  drop.add(Dropout(0.3));
  drop.build(Shape{6}, 5);
  Generator gen(1);
  expect_gradients_match(drop, {uniform64(Shape{3, 6}, 5)}, CallContext{.training = true, .rng = &gen},
                         [&] { gen = Generator(1); });

  Sequential embed("m", DType::kF64);
  embed.add(Embedding(7, 3));
  embed.build(Shape{4}, 5);
  const Tensor ids = Tensor::from_vector<std::int64_t>({0, 6, 6, 2, 1, 0, 3, 3}, Shape{2, 4});
  Generator wgen(3);
  const Tensor w = random_uniform(Shape{2, 4, 3}, -1, 1, wgen, DType::kF64);
  autodiff::GradientTape tape;
  const Tensor loss = sum(mul(embed(ids), w));
  const Tensor d = tape.gradient(loss, embed.trainable_variables())[0];
  // Row 6 of the table is used twice (positions [0,1] and [0,2]): its gradient is the sum.
  const std::vector<double> dw = w.to_vector<double>(), dd = d.to_vector<double>();
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(dd[6 * 3 + k], dw[1 * 3 + k] + dw[2 * 3 + k], 1e-12);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(dd[5 * 3 + k], 0.0);  // unused id
}

TEST(BatchNormalization, TrainingNormalisesAndUpdatesMovingStatistics) {
  Sequential model;
  model.add(BatchNormalization());
  model.build(Shape{2}, 1);
  const Tensor x = f32s({1, 10, 3, 20, 5, 30, 7, 40}, Shape{4, 2});  // means 4, 25; variances 5, 125
  const Tensor y = model(x, {.training = true});
  const std::vector<float> got = y.to_vector<float>();
  EXPECT_NEAR(got[0], (1 - 4) / std::sqrt(5 + 1e-3), 1e-5);
  EXPECT_NEAR(got[7], (40 - 25) / std::sqrt(125 + 1e-3), 1e-5);
  auto& bn = static_cast<BatchNormalization&>(model.layer("batch_normalization"));
  const std::vector<float> mean = bn.moving_mean().unwatched_value().to_vector<float>();
  const std::vector<float> var = bn.moving_variance().unwatched_value().to_vector<float>();
  EXPECT_NEAR(mean[0], 0.01 * 4, 1e-6);  // 0·0.99 + 4·0.01
  EXPECT_NEAR(mean[1], 0.01 * 25, 1e-6);
  EXPECT_NEAR(var[0], 0.99 + 0.01 * 5, 1e-6);  // biased batch variance, as Keras
  EXPECT_NEAR(var[1], 0.99 + 0.01 * 125, 1e-5);

  // Inference uses the moving statistics and leaves them alone.
  const Tensor z = model(x);
  EXPECT_NEAR(z.to_vector<float>()[0], (1 - 0.04) / std::sqrt(1.04 + 1e-3), 1e-5);
  EXPECT_EQ(bn.moving_mean().unwatched_value().to_vector<float>(), mean);
}

TEST(Dropout, ScalesKeptValuesIsSeededAndOnlyActsInTraining) {
  Sequential model;
  model.add(Dropout(0.25));
  model.build(Shape{1000}, 1);
  const Tensor x = Tensor::ones(Shape{4, 1000}, DType::kF32);
  EXPECT_EQ(model(x).to_vector<float>(), x.to_vector<float>());  // inference: unchanged
  Generator g1(5), g2(5), g3(6);
  const std::vector<float> a = model(x, {.training = true, .rng = &g1}).to_vector<float>();
  EXPECT_EQ(a, model(x, {.training = true, .rng = &g2}).to_vector<float>());
  EXPECT_NE(a, model(x, {.training = true, .rng = &g3}).to_vector<float>());
  std::size_t zeros = 0;
  for (float v : a) {
    if (v == 0) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(v, 1 / 0.75f);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros) / a.size(), 0.25, 0.03);

  const std::string msg = error_of([&] { model(x, {.training = true}); });
  EXPECT_NE(msg.find("Dropout 'dropout'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rng"), std::string::npos) << msg;
}

}  // namespace
}  // namespace spool::layers
