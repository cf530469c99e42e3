// bias_activation against plain double loops; its backward against central differences
// of that reference.
#include "spool/tensor/kernels/bias_activation.h"

#include <gtest/gtest.h>

#include "kernel_test_util.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "spool/tensor/random.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {
namespace {

using testing::dot;
using testing::expect_close;
using testing::numerical_gradient;
using testing::to_doubles;

using testing::Vec;

Vec ref_forward(const Vec& x, const Vec& bias, Activation act) {
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = x[i] + (bias.empty() ? 0.0 : bias[i % bias.size()]);
    y[i] = act == Activation::kRelu ? std::max(z, 0.0) : act == Activation::kSigmoid ? 1 / (1 + std::exp(-z)) : z;
  }
  return y;
}

constexpr Activation kActivations[] = {Activation::kNone, Activation::kRelu, Activation::kSigmoid};

class BiasActivationTest : public testing::KernelTest {
 protected:
  BiasActivationTest() : KernelTest(5) {}
};

TEST_F(BiasActivationTest, ForwardMatchesReference) {
  // 37 channels: two vector blocks of 16 and a scalar tail of 5 in each row.
  for (const Shape& shape : {Shape{5, 7}, Shape{2, 3, 4, 6}, Shape{9}, Shape{3, 37}}) {
    const Tensor x = random_uniform(shape, -4, 4, gen_);
    const Tensor b = random_uniform(Shape{shape[-1]}, -1, 1, gen_);
    for (Activation act : kActivations) {
      const std::string what = activation_name(act) + " " + shape.to_string();
      expect_close(bias_activation(x, b, act), ref_forward(to_doubles(x), to_doubles(b), act), 1e-6, what);
      expect_close(bias_activation(x, Tensor(), act), ref_forward(to_doubles(x), {}, act), 1e-6, what + " no bias");
    }
  }
}

TEST_F(BiasActivationTest, SigmoidSaturatesWithoutNaN) {
  const auto y = bias_activation(Tensor::from_vector<float>({-100, 100, 0}), Tensor(), Activation::kSigmoid)
                     .to_vector<float>();
  EXPECT_EQ(y, (std::vector<float>{0.0f, 1.0f, 0.5f}));
}

TEST_F(BiasActivationTest, BackwardMatchesFiniteDifferences) {
  const Shape shape{6, 5};
  Tensor x = random_uniform(shape, -2, 2, gen_);
  const Tensor b = random_uniform(Shape{5}, -1, 1, gen_);
  const Tensor dy = random_uniform(shape, -1, 1, gen_);
  // Keep x + b away from relu's kink so a ±1e-4 step stays on one side.
  float* xp = x.data<float>();
  const auto bv = b.to_vector<float>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    if (std::abs(xp[i] + bv[static_cast<std::size_t>(i % 5)]) < 0.05f) xp[i] += 0.2f;
  }
  const Vec xd = to_doubles(x), bd = to_doubles(b), dyd = to_doubles(dy);
  for (Activation act : kActivations) {
    auto loss = [&](const Vec& xv, const Vec& bvv) {
      const Vec y = ref_forward(xv, bvv, act);
      double s = 0;
      for (std::size_t i = 0; i < y.size(); ++i) s += y[i] * dyd[i];
      return s;
    };
    const Vec dx = numerical_gradient(xd, [&](const Vec& v) { return loss(v, bd); });
    const Vec db = numerical_gradient(bd, [&](const Vec& v) { return loss(xd, v); });
    const BiasActivationGrads g = bias_activation_backward(bias_activation(x, b, act), dy, act);
    expect_close(g.dx, dx, 1e-4, "dx " + activation_name(act));
    expect_close(g.dbias, db, 1e-4, "dbias " + activation_name(act));
  }
}

TEST_F(BiasActivationTest, ReluGradientIsZeroAtZero) {
  const Tensor y = Tensor::from_vector<float>({0, 2, 0}, Shape{1, 3});
  const BiasActivationGrads g = bias_activation_backward(y, Tensor::ones(Shape{1, 3}, DType::kF32), Activation::kRelu);
  EXPECT_EQ(g.dx.to_vector<float>(), (std::vector<float>{0, 1, 0}));
  EXPECT_EQ(g.dbias.to_vector<float>(), (std::vector<float>{0, 1, 0}));
}

TEST_F(BiasActivationTest, AcceptsNonContiguousInput) {
  const Tensor x = random_uniform(Shape{4, 6}, -1, 1, gen_).transpose(0, 1);
  const Tensor b = random_uniform(Shape{8}, -1, 1, gen_).slice(0, 0, 8, 2);
  ASSERT_FALSE(x.is_contiguous());
  expect_close(bias_activation(x, b, Activation::kRelu), ref_forward(to_doubles(x), to_doubles(b), Activation::kRelu),
               1e-6, "strided");
}

TEST_F(BiasActivationTest, BiasGradBitwiseReproducibleForAThreadCount) {
  const Tensor dy = random_uniform(Shape{4000, 33}, -1, 1, gen_);
  Vec want(33, 0.0);
  const Vec d = to_doubles(dy);
  for (std::size_t i = 0; i < d.size(); ++i) want[i % 33] += d[i];
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const Tensor a = bias_grad(dy), b = bias_grad(dy);
    expect_close(a, want, 1e-6, "bias_grad");
    EXPECT_EQ(std::memcmp(a.data<float>(), b.data<float>(), 33 * sizeof(float)), 0) << threads;
  }
}

TEST_F(BiasActivationTest, BadArgumentsAreRejected) {
  try {
    bias_activation(Tensor::zeros(Shape{2, 3}, DType::kF32), Tensor::zeros(Shape{4}, DType::kF32), Activation::kRelu);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "bias_activation: bias [4] does not match input [2, 3] (expected [3])");
  }
  EXPECT_THROW(bias_activation_backward(Tensor::zeros(Shape{2, 3}, DType::kF32), Tensor::zeros(Shape{2, 4}, DType::kF32),
                                        Activation::kNone),
               InvalidArgument);
}

}  // namespace
}  // namespace spool::kernels
