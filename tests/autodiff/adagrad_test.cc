// Adagrad against Keras' update equations, its 0.1 initial accumulator included.
#include "spool/autodiff/optim/adagrad.h"

#include <gtest/gtest.h>

#include "optimizer_test_support.h"

namespace spool::autodiff {
namespace {

using testing::expect_trajectory;
using testing::kGrads;
using testing::trajectory;

TEST(Adagrad, FirstStepsMatchKeras) {
  // Step 1: acc = 0.1 + 0.25, w = 1 - 0.1 * 0.5 / sqrt(0.35 + 1e-7).
  Adagrad adagrad(AdagradOptions().learning_rate(0.1));
  expect_trajectory(trajectory(adagrad, {1.0, -2.0}, kGrads), {{0.9154845866007779, -1.9046537454093613},
                                                              {0.8702578900535104, -1.9233854608194287},
                                                              {0.9218976636996283, -1.932710508496395}});
}

TEST(Adagrad, InitialAccumulatorValue) {
  Adagrad adagrad(AdagradOptions().learning_rate(1).initial_accumulator_value(3).epsilon(0));
  expect_trajectory(trajectory(adagrad, {0.0}, {{1.0}}), {{-0.5}});  // 1 / sqrt(3 + 1)
  EXPECT_EQ(AdagradOptions().initial_accumulator_value(), 0.1);
  EXPECT_THROW(Adagrad(AdagradOptions().initial_accumulator_value(-1)), InvalidArgument);
}

}  // namespace
}  // namespace spool::autodiff
