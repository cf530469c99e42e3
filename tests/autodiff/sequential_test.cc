// Sequential: the course CNN's Keras parameter counts and summary table, names,
// composition of callables, deterministic initialisation, and a small end-to-end
// training run (hand-written SGD) that must separate three clusters.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "spool/autodiff/model.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/random.h"

namespace spool::layers {
namespace {

// The course CNN: Conv32(3x3)-MaxPool-Conv64(3x3)-MaxPool-Flatten-Dense128-Dense10.
Sequential course_cnn() {
  Sequential model;
  model.add(Conv2D(Conv2DOptions(32, 3).activation("relu")))
      .add(MaxPooling2D())
      .add(Conv2D(Conv2DOptions(64, 3).activation("relu")))
      .add(MaxPooling2D())
      .add(Flatten())
      .add(Dense(DenseOptions(128).activation("relu")))
      .add(Dense(DenseOptions(10)));
  model.build(Shape{28, 28, 1}, 42);
  return model;
}

TEST(Sequential, CourseCnnHasKerasParameterCounts) {
  Sequential model = course_cnn();
  // Hand-computed: kh·kw·in·out + out per conv, in·out + out per dense.
  const std::vector<std::int64_t> want = {3 * 3 * 1 * 32 + 32, 0, 3 * 3 * 32 * 64 + 64, 0, 0, 5 * 5 * 64 * 128 + 128,
                                          128 * 10 + 10};
  ASSERT_EQ(model.layers().size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(model.layers()[i]->count_params(), want[i]) << i;
  EXPECT_EQ(want[0], 320);
  EXPECT_EQ(want[2], 18496);
  EXPECT_EQ(want[5], 204928);
  EXPECT_EQ(want[6], 1290);
  EXPECT_EQ(model.count_params(), 225034);
  EXPECT_EQ(model.trainable_params(), 225034);
  EXPECT_EQ(model.arena().variables().size(), 8u);
  EXPECT_GE(model.arena().size(), 225034);  // plus the 64-byte alignment gaps

  Generator gen(1);
  const Tensor y = model(random_uniform(Shape{3, 28, 28, 1}, 0, 1, gen));
  EXPECT_EQ(y.shape(), (Shape{3, 10}));
}

TEST(Sequential, SummaryIsKerasTable) {
  const std::string want =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #   \n"
      "=================================================================\n"
      "conv2d (Conv2D)              (None, 26, 26, 32)        320       \n"
      "_________________________________________________________________\n"
      "max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0         \n"
      "_________________________________________________________________\n"
      "conv2d_1 (Conv2D)            (None, 11, 11, 64)        18496     \n"
      "_________________________________________________________________\n"
      "max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0         \n"
      "_________________________________________________________________\n"
      "flatten (Flatten)            (None, 1600)              0         \n"
      "_________________________________________________________________\n"
      "dense (Dense)                (None, 128)               204928    \n"
      "_________________________________________________________________\n"
      "dense_1 (Dense)              (None, 10)                1290      \n"
      "=================================================================\n"
      "Total params: 225,034\n"
      "Trainable params: 225,034\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  Sequential model = course_cnn();
  EXPECT_EQ(model.summary(), want);
  std::ostringstream printed;
  model.print_summary(printed);
  EXPECT_EQ(printed.str(), want);
}

TEST(Sequential, SummaryCountsNonTrainableParams) {
  Sequential model("bn_model");
  model.add(Dense(DenseOptions(1000))).add(BatchNormalization());
  model.build(Shape{4}, 1);
  const std::string s = model.summary();
  EXPECT_NE(s.find("Model: \"bn_model\""), std::string::npos) << s;
  EXPECT_NE(s.find("batch_normalization (BatchNo (None, 1000)"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 9,000\n"), std::string::npos) << s;
  EXPECT_NE(s.find("Trainable params: 7,000\n"), std::string::npos) << s;
  EXPECT_NE(s.find("Non-trainable params: 2,000\n"), std::string::npos) << s;
}

TEST(Sequential, NamesAreUniqueKerasStyle) {
  Sequential model;
  model.add(Dense(DenseOptions(2).name("head")))
      .add(Dense(DenseOptions(2)))
      .add(Dense(DenseOptions(2)))
      .add(GlobalAveragePooling2D("gap_is_not_used_here"));
  EXPECT_EQ(model.layers()[1]->name(), "dense");
  EXPECT_EQ(model.layers()[2]->name(), "dense_1");
  EXPECT_THROW(model.add(Dense(DenseOptions(2).name("dense_1"))), InvalidArgument);
  Sequential other;
  EXPECT_EQ(other.add(MaxPooling2D()).add(AveragePooling2D()).add(GlobalAveragePooling2D()).layers()[2]->name(),
            "global_average_pooling2d");
  EXPECT_EQ(other.layers()[1]->name(), "average_pooling2d");
}

TEST(Sequential, ComposesCallablesAndIsDeterministicPerSeed) {
  Sequential inner;
  inner.add(Dense(DenseOptions(3).activation("relu")));
  inner.build(Shape{4}, 3);

  Sequential model;
  model.add([](const Tensor& x, const CallContext&) { return mul(x, 2.0); })
      .add([&inner](const Tensor& x, const CallContext& c) { return inner(x, c); }, "inner")
      .add(Dense(DenseOptions(2)));
  model.build(Shape{4}, 3);
  EXPECT_EQ(model.layers()[0]->name(), "lambda");
  EXPECT_EQ(model.layers()[1]->output_shape(), (Shape{3}));
  EXPECT_EQ(model.count_params(), 3 * 2 + 2);  // the inner model keeps its own arena

  Generator gen(4);
  const Tensor x = random_uniform(Shape{5, 4}, -1, 1, gen);
  const Tensor want = dense(inner(mul(x, 2.0)), model.variables()[0], model.variables()[1]);
  EXPECT_EQ(model(x).to_vector<float>(), want.to_vector<float>());

  // Layer i draws from fork(i): appending a layer does not change the earlier ones.
  Sequential one, two;
  one.add(Dense(DenseOptions(8)));
  two.add(Dense(DenseOptions(8))).add(Dense(DenseOptions(8)));
  one.build(Shape{8}, 11);
  two.build(Shape{8}, 11);
  EXPECT_EQ(one.variables()[0].unwatched_value().to_vector<float>(),
            two.variables()[0].unwatched_value().to_vector<float>());
  EXPECT_THROW(two.build(Shape{8}, 11), InvalidArgument);
}

// Three Gaussian clusters in 2-D; labels 0, 1, 2.
void clusters(std::int64_t n, Generator& gen, Tensor& x, Tensor& y) {
  const float centers[3][2] = {{2, 0}, {-1, 1.7f}, {-1, -1.7f}};
  x = Tensor::empty(Shape{n, 2}, DType::kF32);
  y = Tensor::empty(Shape{n}, DType::kI64);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t c = static_cast<std::int64_t>(gen.next_u32() % 3);
    y.data<std::int64_t>()[i] = c;
    x.data<float>()[2 * i] = centers[c][0] + 0.5f * static_cast<float>(gen.next_normal());
    x.data<float>()[2 * i + 1] = centers[c][1] + 0.5f * static_cast<float>(gen.next_normal());
  }
}

TEST(Sequential, HandWrittenSgdSeparatesClusters) {
  Sequential model;
  model.add(Dense(DenseOptions(16).activation("relu"))).add(Dense(DenseOptions(3)));
  model.build(Shape{2}, 5);
  const losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  metrics::SparseCategoricalAccuracy accuracy;
  Generator data(8);
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 300; ++step) {
    Tensor x, y;
    clusters(32, data, x, y);
    std::vector<autodiff::Variable> vars = model.trainable_variables();
    autodiff::GradientTape tape;
    const Tensor loss = loss_fn(y, model(x, {.training = true}));
    const std::vector<Tensor> grads = tape.gradient(loss, vars);
    for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign_sub(spool::kernels::mul(grads[i], 0.1));
    (step == 0 ? first_loss : last_loss) = loss.item<float>();
  }
  Tensor x, y;
  clusters(1000, data, x, y);
  accuracy.update(y, model(x));
  EXPECT_GT(accuracy.result(), 0.97);
  EXPECT_LT(last_loss, 0.3 * first_loss);
}

}  // namespace
}  // namespace spool::layers
