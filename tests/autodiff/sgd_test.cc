// SGD against Keras' update equations, on TF's documented examples.
#include "spool/autodiff/optim/sgd.h"

#include <gtest/gtest.h>

#include "optimizer_test_support.h"

namespace spool::autodiff {
namespace {

using testing::trajectory;

// The gradient of w^2 / 2 is w: the loss of tf.keras.optimizers.SGD's docstring.
std::vector<double> minimize_half_square(SGD& sgd, double w0, int steps) {
  const std::vector<Variable> w{Variable("w", Tensor::scalar<double>(w0))};
  std::vector<double> out;
  for (int s = 0; s < steps; ++s) {
    sgd.apply_gradients(std::vector<Tensor>{w[0].unwatched_value().clone()}, w);
    out.push_back(w[0].unwatched_value().item<double>());
  }
  return out;
}

TEST(SGD, PlainStepIsLearningRateTimesGradient) {
  SGD sgd(SGDOptions().learning_rate(0.1));
  EXPECT_NEAR(minimize_half_square(sgd, 1.0, 1)[0], 0.9, 1e-15);  // TF docs: 1.0 -> 0.9
  EXPECT_EQ(sgd.iterations(), 1);
  EXPECT_TRUE(sgd.state().size() == 1) << "no momentum slot without momentum, only iterations";
}

TEST(SGD, MomentumMatchesTheTensorFlowExample) {
  // TF docs: SGD(0.1, momentum=0.9) on w^2/2 from 1.0 steps by -0.1, then -0.18.
  SGD sgd(SGDOptions().learning_rate(0.1).momentum(0.9));
  const std::vector<double> w = minimize_half_square(sgd, 1.0, 3);
  EXPECT_NEAR(w[0], 0.9, 1e-15);
  EXPECT_NEAR(w[1], 0.72, 1e-15);
  // m = 0.9 * -0.18 - 0.1 * 0.72 = -0.234
  EXPECT_NEAR(w[2], 0.486, 1e-15);
}

TEST(SGD, NesterovLooksAhead) {
  SGD sgd(SGDOptions().learning_rate(0.1).momentum(0.9).nesterov(true));
  const std::vector<double> w = minimize_half_square(sgd, 1.0, 2);
  // m = -0.1, w += 0.9 * m - 0.1 * 1 = -0.19; then m = -0.09 - 0.081 = -0.171,
  // w += 0.9 * -0.171 - 0.081 = -0.2349.
  EXPECT_NEAR(w[0], 0.81, 1e-15);
  EXPECT_NEAR(w[1], 0.5751, 1e-15);
}

TEST(SGD, MomentumSlotHoldsKerasVelocity) {
  SGD sgd(SGDOptions().learning_rate(0.5).momentum(0.5));
  testing::trajectory(sgd, {0.0}, {{2.0}, {2.0}});
  // m = -1, then 0.5 * -1 - 1 = -1.5 (PyTorch's buffer would hold 2, then 3).
  const std::vector<NamedTensor> state = sgd.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].name, "optimizer/sgd/momentum/w");
  EXPECT_EQ(state[0].tensor.to_vector<double>(), std::vector<double>{-1.5});
}

TEST(SGD, RefusesMomentumOutsideZeroOne) {
  EXPECT_THROW(SGD(SGDOptions().momentum(1.5)), InvalidArgument);
  EXPECT_THROW(SGD(SGDOptions().momentum(-0.1)), InvalidArgument);
  EXPECT_THROW(SGD(SGDOptions().learning_rate(-1)), InvalidArgument);
}

}  // namespace
}  // namespace spool::autodiff
