// Clipping by norm: the free functions and the optimizers' clipnorm / global_clipnorm.
#include "spool/autodiff/optim/clip.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "optimizer_test_support.h"
#include "spool/autodiff/optim/sgd.h"

namespace spool::autodiff {
namespace {

using V = std::vector<double>;
V values(const Tensor& t) { return t.to_vector<double>(); }

TEST(ClipByGlobalNorm, ScalesAllByOneFactorAndReturnsTheNorm) {
  const Tensor a = Tensor::from_vector<double>({3, 4}), b = Tensor::from_vector<double>({0, 12});
  std::vector<Tensor> grads{a, Tensor(), b};
  EXPECT_DOUBLE_EQ(clip_by_global_norm(grads, 6.5), 13.0);
  EXPECT_NEAR(values(grads[0])[0], 1.5, 1e-15);
  EXPECT_NEAR(values(grads[0])[1], 2.0, 1e-15);
  EXPECT_FALSE(grads[1].defined()) << "an undefined gradient stays undefined";
  EXPECT_NEAR(values(grads[2])[1], 6.0, 1e-15);
  EXPECT_EQ(values(a), (V{3, 4})) << "the given tensors are not written into";
}

TEST(ClipByGlobalNorm, WithinTheNormNothingChanges) {
  const Tensor a = Tensor::from_vector<float>({3, 4});
  std::vector<Tensor> grads{a};
  EXPECT_DOUBLE_EQ(clip_by_global_norm(grads, 5.0), 5.0);
  EXPECT_EQ(grads[0].raw_data(), a.raw_data());
  EXPECT_THROW(clip_by_global_norm(grads, 0), InvalidArgument);
}

TEST(ClipByGlobalNorm, InfiniteNormGivesNaN) {
  std::vector<Tensor> grads{Tensor::from_vector<double>({std::numeric_limits<double>::infinity(), 1})};
  EXPECT_TRUE(std::isinf(clip_by_global_norm(grads, 1.0)));
  EXPECT_TRUE(std::isnan(values(grads[0])[1]));
}

TEST(ClipByNorm, ScalesOneTensor) {
  EXPECT_EQ(values(clip_by_norm(Tensor::from_vector<double>({3, 4}), 1)), (V{0.6, 0.8}));
  EXPECT_EQ(values(clip_by_norm(Tensor::from_vector<double>({0.3, 0.4}), 1)), (V{0.3, 0.4}));
  EXPECT_DOUBLE_EQ(global_norm(std::vector<Tensor>{Tensor::from_vector<float>({1, 2, 2})}), 3.0);
}

// Two variables stepped once by SGD(lr 1) from zero: w = -clipped gradient.
std::pair<V, V> one_step(const SGDOptions& options, const V& g1, const V& g2) {
  SGD sgd(options);
  const std::vector<Variable> w{Variable("a", Tensor::zeros(Shape{2}, DType::kF64)),
                                Variable("b", Tensor::zeros(Shape{2}, DType::kF64))};
  sgd.apply_gradients(std::vector<Tensor>{Tensor::from_vector(g1), Tensor::from_vector(g2)}, w);
  return {values(w[0].unwatched_value()), values(w[1].unwatched_value())};
}

TEST(OptimizerClipping, ClipnormIsPerVariable) {
  const auto [a, b] = one_step(SGDOptions().learning_rate(1).clipnorm(1), {3, 4}, {0.1, 0});
  EXPECT_NEAR(a[0], -0.6, 1e-15);
  EXPECT_NEAR(a[1], -0.8, 1e-15);
  EXPECT_EQ(b, (V{-0.1, 0})) << "a gradient within the norm is untouched";
}

TEST(OptimizerClipping, GlobalClipnormScalesAllTogether) {
  const auto [a, b] = one_step(SGDOptions().learning_rate(1).global_clipnorm(1), {3, 4}, {0, 12});
  EXPECT_NEAR(a[0], -3.0 / 13, 1e-15);
  EXPECT_NEAR(a[1], -4.0 / 13, 1e-15);
  EXPECT_NEAR(b[1], -12.0 / 13, 1e-15);
  const auto [c, d] = one_step(SGDOptions().learning_rate(1).global_clipnorm(100), {3, 4}, {0, 12});
  EXPECT_EQ(c, (V{-3, -4}));
  EXPECT_EQ(d, (V{0, -12}));
}

TEST(OptimizerClipping, RefusesBothOrNegative) {
  EXPECT_THROW(SGD(SGDOptions().clipnorm(1).global_clipnorm(1)), InvalidArgument);
  EXPECT_THROW(SGD(SGDOptions().clipnorm(-1)), InvalidArgument);
}

}  // namespace
}  // namespace spool::autodiff
