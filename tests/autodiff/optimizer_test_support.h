// Helpers shared by the optimizer tests: run an optimizer over given gradients.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "spool/autodiff/optim/optimizer.h"

namespace spool::autodiff::testing {

using Trajectory = std::vector<std::vector<double>>;

// A fresh f64 variable starting at w0, given each gradient in turn: its values after
// each step.
inline Trajectory trajectory(Optimizer& optimizer, const std::vector<double>& w0, const Trajectory& grads) {
  const std::vector<Variable> w{Variable("w", Tensor::from_vector(w0))};
  Trajectory out;
  for (const std::vector<double>& g : grads) {
    optimizer.apply_gradients(std::vector<Tensor>{Tensor::from_vector(g)}, w);
    out.push_back(w[0].unwatched_value().to_vector<double>());
  }
  return out;
}

inline void expect_trajectory(const Trajectory& got, const Trajectory& want, double tolerance = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t s = 0; s < got.size(); ++s) {
    ASSERT_EQ(got[s].size(), want[s].size());
    for (std::size_t i = 0; i < got[s].size(); ++i)
      EXPECT_NEAR(got[s][i], want[s][i], tolerance) << "step " << s + 1 << ", element " << i;
  }
}

// The gradients the tests feed: three steps over two elements.
inline const Trajectory kGrads{{0.5, -1.0}, {0.3, 0.2}, {-0.4, 0.1}};

}  // namespace spool::autodiff::testing
