// Adam and AMSGrad against Keras' update equations (values from a plain f64
// transcription of keras.optimizers.Adam.update_step).
#include "spool/autodiff/optim/adam.h"

#include <gtest/gtest.h>

#include <cmath>

#include "optimizer_test_support.h"

namespace spool::autodiff {
namespace {

using testing::expect_trajectory;
using testing::kGrads;
using testing::trajectory;

TEST(Adam, FirstStepsMatchKeras) {
  Adam adam(AdamOptions().learning_rate(0.1));
  expect_trajectory(trajectory(adam, {1.0, -2.0}, kGrads), {{0.9000006324515321, -1.900000316226766},
                                                            {0.8042521342980318, -1.8488978670466378},
                                                            {0.7793935622578767, -1.8158246743851219}});
  EXPECT_EQ(adam.iterations(), 3);
}

TEST(Adam, EpsilonIsSettable) {
  Adam adam(AdamOptions().learning_rate(0.1).epsilon(1e-3));
  expect_trajectory(trajectory(adam, {1.0, -2.0}, kGrads), {{0.9059483487151976, -1.9030653430031716},
                                                            {0.8151266415734046, -1.8535004178181451},
                                                            {0.7913326845130806, -1.8214181655149415}});
}

TEST(Adam, DefaultsAreKeras) {
  const AdamOptions o;
  EXPECT_EQ(o.common().learning_rate.at(0), 1e-3);
  EXPECT_EQ(o.beta_1(), 0.9);
  EXPECT_EQ(o.beta_2(), 0.999);
  EXPECT_EQ(o.epsilon(), 1e-7);
  EXPECT_FALSE(o.amsgrad());
}

TEST(Adam, AmsgradKeepsTheLargestSecondMoment) {
  // beta_2 = 0.5 lets v shrink after the large first gradient; AMSGrad keeps the max.
  const testing::Trajectory grads{{2.0}, {0.1}, {0.1}};
  Adam plain(AdamOptions().learning_rate(0.1).beta_2(0.5));
  expect_trajectory(trajectory(plain, {0.0}, grads),
                    {{-0.09999999292893269}, {-0.18638682686990138}, {-0.27408594499334304}});
  Adam ams(AdamOptions().learning_rate(0.1).beta_2(0.5).amsgrad(true));
  expect_trajectory(trajectory(ams, {0.0}, grads),
                    {{-0.09999999292893269}, {-0.16123723216838542}, {-0.2054144418953867}});
  EXPECT_EQ(ams.state().size(), 4u) << "m, v, vhat and iterations";
}

TEST(Adam, F32FollowsTheF64Trajectory) {
  Adam adam(AdamOptions().learning_rate(0.1));
  const std::vector<Variable> w{Variable("w", Tensor::from_vector<float>({1.0f, -2.0f}))};
  for (const auto& g : kGrads)
    adam.apply_gradients(std::vector<Tensor>{Tensor::from_vector<float>({float(g[0]), float(g[1])})}, w);
  const std::vector<float> got = w[0].unwatched_value().to_vector<float>();
  EXPECT_NEAR(got[0], 0.7793935622578767, 1e-6);
  EXPECT_NEAR(got[1], -1.8158246743851219, 1e-6);
}

// A long f32 variable runs through the vectorised body (AVX2 where the CPU has it) and a
// one-element variable through the scalar tail: both must round every element alike.
TEST(Adam, F32VectorBodyRoundsLikeTheScalarTail) {
  constexpr int kSize = 37;  // four blocks of 8 and a tail of 5
  std::vector<float> start(kSize), grad(kSize);
  for (int i = 0; i < kSize; ++i) {
    start[i] = 0.37f * static_cast<float>(i % 7) - 1.1f;
    grad[i] = 0.013f * static_cast<float>((i * 17) % 11) - 0.05f + (i == 3 ? 1e-30f : 0.0f);
  }
  Adam whole(AdamOptions().learning_rate(0.01));
  const std::vector<Variable> w{Variable("w", Tensor::from_vector<float>(start))};
  for (int step = 0; step < 3; ++step) whole.apply_gradients(std::vector<Tensor>{Tensor::from_vector<float>(grad)}, w);
  const std::vector<float> got = w[0].unwatched_value().to_vector<float>();
  for (int i = 0; i < kSize; ++i) {
    Adam single(AdamOptions().learning_rate(0.01));
    const std::vector<Variable> e{Variable("e", Tensor::from_vector<float>({start[i]}))};
    for (int step = 0; step < 3; ++step)
      single.apply_gradients(std::vector<Tensor>{Tensor::from_vector<float>({grad[i]})}, e);
    EXPECT_EQ(got[i], e[0].unwatched_value().to_vector<float>()[0]) << "element " << i;
  }
}

// The moments of a weight whose gradient stays zero decay geometrically; without the
// flush to zero they would sink into (and stick in) the slow denormal range.
TEST(Adam, MomentsNeverBecomeDenormal) {
  Adam adam(AdamOptions().learning_rate(0.01));
  const std::vector<Variable> w{Variable("w", Tensor::from_vector<float>({0.5f, 0.5f}))};
  adam.apply_gradients(std::vector<Tensor>{Tensor::from_vector<float>({1e-30f, 1.0f})}, w);
  for (int step = 0; step < 3000; ++step)
    adam.apply_gradients(std::vector<Tensor>{Tensor::from_vector<float>({0.0f, 1.0f})}, w);
  int slots = 0;
  for (const NamedTensor& slot : adam.state()) {
    if (slot.tensor.dtype() != DType::kF32) continue;
    ++slots;
    for (float x : slot.tensor.to_vector<float>()) EXPECT_NE(std::fpclassify(x), FP_SUBNORMAL) << slot.name << ": " << x;
  }
  EXPECT_EQ(slots, 2) << "m and v";
}

TEST(Adam, RefusesBadHyperparameters) {
  EXPECT_THROW(Adam(AdamOptions().beta_1(1.0)), InvalidArgument);
  EXPECT_THROW(Adam(AdamOptions().beta_2(-0.1)), InvalidArgument);
  EXPECT_THROW(Adam(AdamOptions().epsilon(-1)), InvalidArgument);
}

}  // namespace
}  // namespace spool::autodiff
