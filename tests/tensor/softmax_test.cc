// softmax / log_softmax against a double reference, and their backward passes against
// central differences of it.
#include "spool/tensor/kernels/softmax.h"

#include <gtest/gtest.h>

#include "kernel_test_util.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "spool/tensor/random.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {
namespace {

using testing::dot;
using testing::expect_close;
using testing::numerical_gradient;
using testing::to_doubles;

void expect_close_tol(const Tensor& got, const testing::Vec& want, const std::string& what) {
  expect_close(got, want, 2e-6, what);
}

using testing::Vec;

// log Σ exp over each row of a [rows, cols] row-major vector, then x − that.
Vec ref_log_softmax(const Vec& x, std::size_t cols) {
  Vec y(x.size());
  for (std::size_t r = 0; r < x.size() / cols; ++r) {
    double m = x[r * cols];
    for (std::size_t c = 0; c < cols; ++c) m = std::max(m, x[r * cols + c]);
    double s = 0;
    for (std::size_t c = 0; c < cols; ++c) s += std::exp(x[r * cols + c] - m);
    for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = x[r * cols + c] - m - std::log(s);
  }
  return y;
}

Vec ref_softmax(const Vec& x, std::size_t cols) {
  Vec y = ref_log_softmax(x, cols);
  for (double& v : y) v = std::exp(v);
  return y;
}



// d/dx of Σ f(x)·dy by central differences.
Vec numerical_vjp(const Vec& x, const Vec& dy, Vec (*f)(const Vec&, std::size_t), std::size_t cols) {
  Vec g(x.size()), v = x;
  auto loss = [&] {
    const Vec y = f(v, cols);
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += y[i] * dy[i];
    return s;
  };
  for (std::size_t i = 0; i < x.size(); ++i) {
    v[i] = x[i] + 1e-4;
    const double up = loss();
    v[i] = x[i] - 1e-4;
    g[i] = (up - loss()) / 2e-4;
    v[i] = x[i];
  }
  return g;
}

class SoftmaxTest : public testing::KernelTest {
 protected:
  SoftmaxTest() : KernelTest(11) {}
};

TEST_F(SoftmaxTest, MatchesReferenceAndRowsSumToOne) {
  for (const Shape& shape : {Shape{7}, Shape{5, 10}, Shape{3, 4, 33}, Shape{1, 1}}) {
    const Tensor x = random_uniform(shape, -8, 8, gen_);
    const std::size_t cols = static_cast<std::size_t>(shape[-1]);
    const Tensor y = softmax(x);
    expect_close_tol(y, ref_softmax(to_doubles(x), cols), "softmax " + shape.to_string());
    expect_close_tol(log_softmax(x), ref_log_softmax(to_doubles(x), cols), "log_softmax " + shape.to_string());
    const auto v = y.to_vector<float>();
    for (std::size_t r = 0; r < v.size() / cols; ++r) {
      double s = 0;
      for (std::size_t c = 0; c < cols; ++c) s += v[r * cols + c];
      EXPECT_NEAR(s, 1.0, 1e-6) << "row " << r;
    }
  }
}

TEST_F(SoftmaxTest, LargeLogitsDoNotOverflow) {
  const Tensor x = Tensor::from_vector<float>({1000, 1000, -1000, 0, 88, 89}, Shape{3, 2});
  const auto lp = log_softmax(x).to_vector<float>();
  EXPECT_FLOAT_EQ(lp[0], -std::log(2.0f));
  EXPECT_FLOAT_EQ(lp[1], -std::log(2.0f));
  EXPECT_FLOAT_EQ(lp[2], -1000.0f);
  EXPECT_NEAR(lp[3], 0.0f, 1e-6);
  const auto p = softmax(x).to_vector<float>();
  EXPECT_FLOAT_EQ(p[0], 0.5f);
  EXPECT_FLOAT_EQ(p[1], 0.5f);
  EXPECT_FLOAT_EQ(p[3], 1.0f);
  EXPECT_NEAR(p[4] + p[5], 1.0f, 1e-6);
}

TEST_F(SoftmaxTest, BackwardMatchesFiniteDifferences) {
  const Shape shape{4, 9};
  const Tensor x = random_uniform(shape, -3, 3, gen_);
  const Tensor dy = random_uniform(shape, -1, 1, gen_);
  const Vec xd = to_doubles(x), dyd = to_doubles(dy);
  // The analytic gradients are given float outputs; compare at float precision.
  const Tensor dx = softmax_backward(softmax(x), dy);
  const Tensor dlx = log_softmax_backward(log_softmax(x), dy);
  const Vec want = numerical_vjp(xd, dyd, ref_softmax, 9), want_log = numerical_vjp(xd, dyd, ref_log_softmax, 9);
  const auto got = dx.to_vector<float>(), got_log = dlx.to_vector<float>();
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], 1e-5) << i;
    EXPECT_NEAR(got_log[i], want_log[i], 1e-5) << i;
  }
}

TEST_F(SoftmaxTest, AcceptsNonContiguousInput) {
  const Tensor x = random_uniform(Shape{6, 5}, -2, 2, gen_).transpose(0, 1);
  ASSERT_FALSE(x.is_contiguous());
  expect_close_tol(softmax(x), ref_softmax(to_doubles(x), 6), "transposed");
}

TEST_F(SoftmaxTest, BitwiseReproducibleForAThreadCount) {
  const Tensor x = random_uniform(Shape{512, 100}, -5, 5, gen_);
  const Tensor dy = random_uniform(Shape{512, 100}, -1, 1, gen_);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const Tensor a = softmax_backward(softmax(x), dy), b = softmax_backward(softmax(x), dy);
    const Tensor la = log_softmax_backward(log_softmax(x), dy), lb = log_softmax_backward(log_softmax(x), dy);
    EXPECT_EQ(std::memcmp(a.data<float>(), b.data<float>(), 512 * 100 * sizeof(float)), 0) << threads;
    EXPECT_EQ(std::memcmp(la.data<float>(), lb.data<float>(), 512 * 100 * sizeof(float)), 0) << threads;
  }
}

TEST_F(SoftmaxTest, BadArgumentsAreRejected) {
  EXPECT_THROW(softmax(Tensor::scalar(1.0f)), InvalidArgument);
  EXPECT_THROW(softmax(Tensor::zeros(Shape{2, 3}, DType::kF64)), InvalidArgument);
  try {
    softmax_backward(Tensor::zeros(Shape{2, 3}, DType::kF32), Tensor::zeros(Shape{3, 2}, DType::kF32));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "softmax_backward: gradient [3, 2] does not match output [2, 3]");
  }
}

}  // namespace
}  // namespace spool::kernels
