// Losses against the values Keras documents for each (tf.keras.losses.* docstrings),
// reductions, compute_average_loss, and gradients: closed forms where they exist, and
// central differences in f64 for every loss.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "spool/autodiff/losses.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
#include "spool/tensor/random.h"

namespace spool::losses {
namespace {

Tensor f32s(std::vector<float> v, Shape shape) { return Tensor::from_vector(v, std::move(shape)); }
Tensor i64s(std::vector<std::int64_t> v) { return Tensor::from_vector(v); }
float value(const Tensor& t) { return t.item<float>(); }

const Shape s22{2, 2};

TEST(Losses, SparseCategoricalCrossentropyMatchesKerasDocs) {
  const Tensor y = i64s({1, 2});
  const Tensor p = f32s({0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}, Shape{2, 3});
  EXPECT_NEAR(value(SparseCategoricalCrossentropy()(y, p)), 1.177, 1e-3);
  EXPECT_NEAR(value(SparseCategoricalCrossentropy()(y, p, f32s({0.3f, 0.7f}, Shape{2}))), 0.814, 1e-3);
  EXPECT_NEAR(value(SparseCategoricalCrossentropy(LossOptions().reduction(Reduction::kSum))(y, p)), 2.354, 1e-3);
  const Tensor none = SparseCategoricalCrossentropy(LossOptions().reduction(Reduction::kNone))(y, p);
  ASSERT_EQ(none.shape(), (Shape{2}));
  EXPECT_NEAR(none.to_vector<float>()[0], 0.0513, 1e-4);
  EXPECT_NEAR(none.to_vector<float>()[1], 2.303, 1e-3);
  // Labels as a [N, 1] column of floats, as Keras accepts.
  EXPECT_NEAR(value(SparseCategoricalCrossentropy()(f32s({1, 2}, Shape{2, 1}), p)), 1.177, 1e-3);
}

TEST(Losses, SparseCategoricalFromLogitsIsStableAndMatchesLogSoftmax) {
  const Tensor logits = f32s({1000, 0, -1000, 2, 1, 0.5f}, Shape{2, 3});
  const Tensor per = sparse_categorical_crossentropy(i64s({1, 0}), logits, true);
  const std::vector<float> v = per.to_vector<float>();
  EXPECT_FLOAT_EQ(v[0], 1000.0f);  // −log softmax = 1000 − 0, no overflow
  const double lse = std::log(std::exp(2.0) + std::exp(1.0) + std::exp(0.5));
  EXPECT_NEAR(v[1], lse - 2, 1e-6);
  EXPECT_THROW(sparse_categorical_crossentropy(i64s({1, 3}), logits, true), OutOfRange);
}

TEST(Losses, CategoricalCrossentropyMatchesKerasDocs) {
  const Tensor y = f32s({0, 1, 0, 0, 0, 1}, Shape{2, 3});
  const Tensor p = f32s({0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}, Shape{2, 3});
  EXPECT_NEAR(value(CategoricalCrossentropy()(y, p)), 1.177, 1e-3);
  EXPECT_NEAR(value(CategoricalCrossentropy(LossOptions().reduction(Reduction::kSum))(y, p)), 2.354, 1e-3);
  // From logits: log of the same probabilities gives the same loss.
  const Tensor logits = spool::kernels::log(f32s({0.05f, 0.95f, 1e-30f, 0.1f, 0.8f, 0.1f}, Shape{2, 3}));
  EXPECT_NEAR(value(CategoricalCrossentropy(LossOptions().from_logits(true))(y, logits)), 1.177, 1e-3);
}

TEST(Losses, BinaryCrossentropyMatchesKerasDocs) {
  const Tensor y = f32s({0, 1, 0, 0}, s22);
  const Tensor p = f32s({0.6f, 0.4f, 0.4f, 0.6f}, s22);
  EXPECT_NEAR(value(BinaryCrossentropy()(y, p)), 0.815, 1e-3);
  EXPECT_NEAR(value(BinaryCrossentropy(LossOptions().reduction(Reduction::kSum))(y, p)), 1.630, 1e-3);
  const std::vector<float> none =
      BinaryCrossentropy(LossOptions().reduction(Reduction::kNone))(y, p).to_vector<float>();
  EXPECT_NEAR(none[0], 0.916, 1e-3);
  EXPECT_NEAR(none[1], 0.714, 1e-3);
  const Tensor logits = f32s({-18.6f, 0.51f, 2.94f, -12.8f}, Shape{4});
  EXPECT_NEAR(value(BinaryCrossentropy(LossOptions().from_logits(true))(f32s({0, 1, 0, 0}, Shape{4}), logits)), 0.865,
              1e-3);
}

TEST(Losses, RegressionLossesMatchKerasDocs) {
  const Tensor y = f32s({0, 1, 0, 0}, s22);
  const Tensor p = f32s({1, 1, 1, 0}, s22);
  EXPECT_NEAR(value(MeanSquaredError()(y, p)), 0.5, 1e-6);
  EXPECT_NEAR(value(MeanSquaredError(LossOptions().reduction(Reduction::kSum))(y, p)), 1.0, 1e-6);
  EXPECT_NEAR(value(MeanAbsoluteError()(y, p)), 0.5, 1e-6);
  EXPECT_NEAR(value(MeanSquaredError()(y, p, f32s({0.7f, 0.3f}, Shape{2}))), 0.25, 1e-6);
  const Tensor q = f32s({0.6f, 0.4f, 0.4f, 0.6f}, s22);
  EXPECT_NEAR(value(Huber()(y, q)), 0.155, 1e-6);
  const std::vector<float> none = Huber(1.0, LossOptions().reduction(Reduction::kNone))(y, q).to_vector<float>();
  EXPECT_NEAR(none[0], 0.18, 1e-6);
  EXPECT_NEAR(none[1], 0.13, 1e-6);
  // Past delta the loss is linear: |e| = 3, delta 1 -> 3 − 0.5.
  EXPECT_NEAR(value(huber(f32s({0}, Shape{1}), f32s({3}, Shape{1}))), 2.5, 1e-6);
  // Integer labels are cast to the predictions' dtype.
  EXPECT_NEAR(value(MeanAbsoluteError()(Tensor::from_vector<std::int64_t>({0, 1, 0, 0}, s22), p)), 0.5, 1e-6);
  EXPECT_THROW(MeanSquaredError(LossOptions().from_logits(true)), InvalidArgument);
  EXPECT_THROW(mean_squared_error(f32s({0, 1}, Shape{2}), p), InvalidArgument);
}

TEST(Losses, ComputeAverageLossDividesByTheGlobalBatch) {
  const Tensor per = f32s({1, 2, 3, 4}, Shape{4});
  EXPECT_FLOAT_EQ(value(compute_average_loss(per, 8)), 1.25f);
  EXPECT_FLOAT_EQ(value(compute_average_loss(per)), 2.5f);
  EXPECT_FLOAT_EQ(value(compute_average_loss(per, 8, f32s({1, 0, 0, 2}, Shape{4}))), 9.0f / 8);
  EXPECT_THROW(compute_average_loss(f32s({1}, Shape{}), 2), InvalidArgument);
  EXPECT_THROW(compute_average_loss(per, 0), InvalidArgument);
}

TEST(LossGradients, SparseCrossEntropyFromLogitsIsSoftmaxMinusOneHot) {
  const Tensor logits = f32s({1, 2, 3, 0, 0, 0}, Shape{2, 3});
  autodiff::GradientTape tape;
  tape.watch(logits);
  const Tensor loss = SparseCategoricalCrossentropy(LossOptions().from_logits(true))(i64s({2, 0}), logits);
  const std::vector<float> g = tape.gradient(loss, {logits})[0].to_vector<float>();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(g[0], std::exp(1.0) / z / 2, 1e-6);
  EXPECT_NEAR(g[2], (std::exp(3.0) / z - 1) / 2, 1e-6);
  EXPECT_NEAR(g[3], (1.0 / 3 - 1) / 2, 1e-6);
  EXPECT_NEAR(g[4], 1.0 / 3 / 2, 1e-6);
}

TEST(LossGradients, BinaryCrossEntropyFromLogitsIsSigmoidMinusLabelEvenAtZero) {
  const Tensor logits = f32s({0, 2, -1, 0}, Shape{4});
  autodiff::GradientTape tape;
  tape.watch(logits);
  const Tensor loss = BinaryCrossentropy(LossOptions().from_logits(true))(f32s({1, 0, 1, 0}, Shape{4}), logits);
  const std::vector<float> g = tape.gradient(loss, {logits})[0].to_vector<float>();
  const auto sigmoid = [](double x) { return 1 / (1 + std::exp(-x)); };
  EXPECT_NEAR(g[0], (0.5 - 1) / 4, 1e-6);
  EXPECT_NEAR(g[1], sigmoid(2) / 4, 1e-6);
  EXPECT_NEAR(g[2], (sigmoid(-1) - 1) / 4, 1e-6);
  EXPECT_NEAR(g[3], 0.5 / 4, 1e-6);
}

// Every loss's gradient w.r.t. its predictions, tape vs central differences in f64.
TEST(LossGradients, EveryLossMatchesCentralDifferences) {
  Generator gen(3);
  const Tensor probs = random_uniform(Shape{3, 4}, 0.05, 0.95, gen, DType::kF64);
  const Tensor soft = random_uniform(Shape{3, 4}, 0, 1, gen, DType::kF64);
  const Tensor ids = i64s({3, 0, 2});
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> cases = {
      {"sparse_probs", [&](const Tensor& p) { return SparseCategoricalCrossentropy()(ids, p); }},
      {"sparse_logits", [&](const Tensor& p) { return sparse_categorical_crossentropy(ids, p, true); }},
      {"categorical_probs", [&](const Tensor& p) { return CategoricalCrossentropy()(soft, p); }},
      {"categorical_logits", [&](const Tensor& p) { return categorical_crossentropy(soft, p, true); }},
      {"binary_probs", [&](const Tensor& p) { return BinaryCrossentropy()(soft, p); }},
      {"binary_logits", [&](const Tensor& p) { return binary_crossentropy(soft, p, true); }},
      {"mse", [&](const Tensor& p) { return MeanSquaredError()(soft, p); }},
      {"mae", [&](const Tensor& p) { return MeanAbsoluteError()(soft, p); }},
      {"huber", [&](const Tensor& p) { return Huber(0.3)(soft, p); }},
      {"average_loss", [&](const Tensor& p) { return compute_average_loss(mean_squared_error(soft, p), 7); }},
  };
  for (const auto& [name, fn] : cases) {
    const Tensor p = probs.clone();
    Tensor g;
    {
      autodiff::GradientTape tape;
      tape.watch(p);
      g = tape.gradient(fn(p), {p})[0];
    }
    const std::vector<double> analytic = g.to_vector<double>();
    double* x = p.data<double>();
    for (std::int64_t j = 0; j < p.numel(); ++j) {
      const double saved = x[j];
      x[j] = saved + 1e-6;
      const double up = spool::kernels::sum(fn(p)).item<double>();
      x[j] = saved - 1e-6;
      const double down = spool::kernels::sum(fn(p)).item<double>();
      x[j] = saved;
      EXPECT_NEAR(analytic[j], (up - down) / 2e-6, 1e-6 * std::max(1.0, std::abs(analytic[j]))) << name << " " << j;
    }
  }
}

}  // namespace
}  // namespace spool::losses
