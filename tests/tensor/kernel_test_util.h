// Shared by the kernel tests: double-precision references, closeness checks and a
// central-difference gradient, the generic check every backward kernel must pass.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"
#include "spool/tensor/thread_pool.h"

namespace spool::testing {

using Vec = std::vector<double>;

inline Vec to_doubles(const Tensor& t) {
  const auto v = t.to_vector<float>();
  return Vec(v.begin(), v.end());
}

inline double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Central differences of loss at v, in double: the gradient a kernel must match.
inline Vec numerical_gradient(Vec v, const std::function<double(const Vec&)>& loss) {
  constexpr double kEps = 1e-3;
  Vec g(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double saved = v[i];
    v[i] = saved + kEps;
    const double up = loss(v);
    v[i] = saved - kEps;
    const double down = loss(v);
    v[i] = saved;
    g[i] = (up - down) / (2 * kEps);
  }
  return g;
}

// Every element within tol relative to (1 + |want|).
inline void expect_close(const Tensor& got, const Vec& want, double tol, const std::string& what) {
  const auto v = got.to_vector<float>();
  ASSERT_EQ(v.size(), want.size()) << what;
  for (std::size_t i = 0; i < v.size(); ++i)
    ASSERT_NEAR(v[i], want[i], tol * (1 + std::abs(want[i]))) << what << " at element " << i;
}

// A fixture that restores the kernel thread count after each test and gives it a
// seeded generator, so tests may call set_num_threads freely.
class KernelTest : public ::testing::Test {
 protected:
  explicit KernelTest(std::uint64_t seed) : gen_(seed) {}
  void TearDown() override { set_num_threads(saved_threads_); }

  int saved_threads_ = num_threads();
  Generator gen_;
};

}  // namespace spool::testing
