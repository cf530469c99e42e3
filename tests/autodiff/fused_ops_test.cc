// The fused ops (ops/dense.h, ops/cross_entropy.h) against the ops they replace:
// the same values and first gradients (the gradient check covers those too), and the
// same SECOND derivatives through nested tapes, which take their composed backward.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/random.h"

namespace spool::autodiff {
namespace {

void expect_near(const Tensor& a, const Tensor& b, double tolerance) {
  ASSERT_EQ(a.shape(), b.shape());
  const std::vector<double> x = a.cast(DType::kF64).to_vector<double>(), y = b.cast(DType::kF64).to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], tolerance) << "element " << i;
}

// d/dx Σ (d/dx Σ f(x))², the second-order quantity both paths must agree on.
Tensor second_order(const std::function<Tensor(const Tensor&)>& f, const Tensor& x) {
  GradientTape outer;
  outer.watch(x);
  Tensor g;
  {
    GradientTape inner;
    inner.watch(x);
    g = inner.gradient(sum(f(x)), {x})[0];
  }
  return outer.gradient(sum(mul(g, g)), {x})[0];
}

TEST(FusedOps, DenseMatchesComposedOpsToSecondOrder) {
  Generator gen(2);
  const Tensor x = random_uniform(Shape{3, 4}, -1, 1, gen, DType::kF64);
  const Tensor w = random_uniform(Shape{4, 5}, -1, 1, gen, DType::kF64);
  const Tensor b = random_uniform(Shape{5}, -1, 1, gen, DType::kF64);
  const auto fused = [&](const Tensor& v) { return dense(v, w, b, Activation::kSigmoid); };
  const auto composed = [&](const Tensor& v) { return sigmoid(add(matmul(v, w), b)); };
  expect_near(fused(x), composed(x), 1e-12);
  expect_near(second_order(fused, x), second_order(composed, x), 1e-10);
  const auto fused32 = [&](const Tensor& v) { return dense(v, w.cast(DType::kF32), b.cast(DType::kF32)); };
  expect_near(fused32(x.cast(DType::kF32)), add(matmul(x, w), b), 1e-5);
}

TEST(FusedOps, SparseSoftmaxCrossEntropyMatchesComposedOpsToSecondOrder) {
  Generator gen(3);
  const Tensor logits = random_uniform(Shape{4, 3}, -2, 2, gen, DType::kF64);
  const Tensor labels = Tensor::from_vector<std::int32_t>({2, 0, 1, 1});
  const Tensor onehot = Tensor::from_vector<double>({0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0}, Shape{4, 3});
  const auto fused = [&](const Tensor& v) { return sparse_softmax_cross_entropy(v, labels); };
  const auto composed = [&](const Tensor& v) { return neg(sum(mul(onehot, log_softmax(v)), {-1})); };
  expect_near(fused(logits), composed(logits), 1e-12);
  expect_near(second_order(fused, logits), second_order(composed, logits), 1e-10);
  expect_near(fused(logits.cast(DType::kF32)), composed(logits), 1e-5);
  EXPECT_THROW(sparse_softmax_cross_entropy(logits, Tensor::from_vector<std::int32_t>({2, 0, 3, 1})), OutOfRange);
  EXPECT_THROW(sparse_softmax_cross_entropy(logits, Tensor::from_vector<std::int32_t>({2, 0, 1})),
               InvalidArgument);
}

}  // namespace
}  // namespace spool::autodiff
