// RMSprop (plain, momentum, centered) against Keras' update equations.
#include "spool/autodiff/optim/rmsprop.h"

#include <gtest/gtest.h>

#include "optimizer_test_support.h"

namespace spool::autodiff {
namespace {

using testing::expect_trajectory;
using testing::kGrads;
using testing::trajectory;

TEST(RMSprop, FirstStepsMatchKeras) {
  // Step 1: v = 0.1 g^2, so the step is lr * g / sqrt(0.1 g^2 + eps) ~ 0.316.
  RMSprop rms(RMSpropOptions().learning_rate(0.1));
  expect_trajectory(trajectory(rms, {1.0, -2.0}, kGrads), {{0.6837728664367966, -1.6837723920969265},
                                                          {0.5147422837933925, -1.7490051647039966},
                                                          {0.7046806463311219, -1.783184441090705}});
}

TEST(RMSprop, Momentum) {
  RMSprop rms(RMSpropOptions().learning_rate(0.1).momentum(0.5));
  expect_trajectory(trajectory(rms, {1.0, -2.0}, kGrads), {{0.6837728664367966, -1.6837723920969265},
                                                          {0.3566287170117908, -1.59089136075246},
                                                          {0.38299500483701737, -1.5786301214669352}});
}

TEST(RMSprop, Centered) {
  RMSprop rms(RMSpropOptions().learning_rate(0.1).centered(true));
  expect_trajectory(trajectory(rms, {1.0, -2.0}, kGrads), {{0.6666674074049382, -1.6666668518516974},
                                                          {0.4801668061441625, -1.7336693352693908},
                                                          {0.6717455752409269, -1.7684236054945874}});
  EXPECT_EQ(rms.state().size(), 3u) << "velocity, average_gradient and iterations";
}

TEST(RMSprop, CenteredWithMomentumKeepsThreeSlots) {
  RMSprop rms(RMSpropOptions().centered(true).momentum(0.9));
  trajectory(rms, {1.0}, {{1.0}});
  std::vector<std::string> names;
  for (const NamedTensor& t : rms.state()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"optimizer/rmsprop/velocity/w", "optimizer/rmsprop/average_gradient/w",
                                             "optimizer/rmsprop/momentum/w", "optimizer/rmsprop/iterations"}));
}

TEST(RMSprop, RefusesBadHyperparameters) {
  EXPECT_THROW(RMSprop(RMSpropOptions().rho(1.5)), InvalidArgument);
  EXPECT_THROW(RMSprop(RMSpropOptions().momentum(-1)), InvalidArgument);
}

}  // namespace
}  // namespace spool::autodiff
