// Learning-rate schedules at several steps (values as Keras computes them), and an
// optimizer driven by one.
#include "spool/autodiff/optim/learning_rate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "optimizer_test_support.h"
#include "spool/autodiff/optim/sgd.h"

namespace spool::autodiff {
namespace {

TEST(ExponentialDecay, SmoothDecay) {
  const ExponentialDecay decay(ExponentialDecay::Options().initial_learning_rate(0.1).decay_steps(10).decay_rate(0.5));
  EXPECT_DOUBLE_EQ(decay(0), 0.1);
  EXPECT_DOUBLE_EQ(decay(5), 0.1 * std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(decay(10), 0.05);
  EXPECT_DOUBLE_EQ(decay(25), 0.1 * std::pow(0.5, 2.5));
}

TEST(ExponentialDecay, StaircaseDecaysInWholeIntervals) {
  const ExponentialDecay decay(
      ExponentialDecay::Options().initial_learning_rate(0.1).decay_steps(10).decay_rate(0.5).staircase(true));
  EXPECT_DOUBLE_EQ(decay(5), 0.1);
  EXPECT_DOUBLE_EQ(decay(9), 0.1);
  EXPECT_DOUBLE_EQ(decay(10), 0.05);
  EXPECT_DOUBLE_EQ(decay(19), 0.05);
  EXPECT_DOUBLE_EQ(decay(20), 0.025);
}

TEST(CosineDecay, FromInitialToAlphaThenFlat) {
  const CosineDecay decay(CosineDecay::Options().initial_learning_rate(1.0).decay_steps(100).alpha(0.1));
  EXPECT_DOUBLE_EQ(decay(0), 1.0);
  EXPECT_DOUBLE_EQ(decay(25), 0.9 * 0.5 * (1 + std::cos(std::numbers::pi / 4)) + 0.1);
  EXPECT_NEAR(decay(50), 0.55, 1e-15);
  EXPECT_DOUBLE_EQ(decay(100), 0.1);
  EXPECT_DOUBLE_EQ(decay(250), 0.1) << "held at alpha past decay_steps";
}

TEST(Schedules, RefuseNonPositiveDecaySteps) {
  EXPECT_THROW(ExponentialDecay(ExponentialDecay::Options().decay_steps(0)), InvalidArgument);
  EXPECT_THROW(ExponentialDecay(ExponentialDecay::Options().decay_rate(0)), InvalidArgument);
  EXPECT_THROW(CosineDecay(CosineDecay::Options().decay_steps(-5)), InvalidArgument);
}

TEST(Schedules, OptimizerEvaluatesTheScheduleAtIterationsBeforeTheStep) {
  auto halve = std::make_shared<ExponentialDecay>(
      ExponentialDecay::Options().initial_learning_rate(0.1).decay_steps(1).decay_rate(0.5).staircase(true));
  SGD sgd(SGDOptions().learning_rate(halve));
  EXPECT_DOUBLE_EQ(sgd.current_learning_rate(), 0.1);
  // Gradient 1 each step: w moves by 0.1, 0.05, 0.025.
  testing::expect_trajectory(testing::trajectory(sgd, {0.0}, {{1.0}, {1.0}, {1.0}}), {{-0.1}, {-0.15}, {-0.175}},
                             1e-15);
  EXPECT_DOUBLE_EQ(sgd.current_learning_rate(), 0.0125);
}

}  // namespace
}  // namespace spool::autodiff
