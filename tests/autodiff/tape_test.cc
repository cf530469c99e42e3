// The GradientTape contract, case by case, with hand-computed values.
#include "spool/autodiff/tape.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "spool/autodiff/custom_gradient.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim/sgd.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool::autodiff {
namespace {

Tensor vec(std::vector<double> v) { return Tensor::from_vector(v); }
std::vector<double> values(const Tensor& t) { return t.cast(DType::kF64).to_vector<double>(); }
using V = std::vector<double>;

TEST(GradientTape, NonScalarTargetGivesTheGradientOfItsSum) {
  const Tensor x = vec({1, 2, 3});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = mul(x, x);
  EXPECT_EQ(values(tape.gradient(y, {x})[0]), (V{2, 4, 6}));
}

TEST(GradientTape, NonPersistentTapeGivesOneGradientThenThrows) {
  const Tensor x = vec({3});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = mul(x, x);
  EXPECT_EQ(values(tape.gradient(y, {x})[0]), V{6});
  EXPECT_EQ(tape.recorded_ops(), 0) << "a non-persistent tape frees its ops";
  try {
    tape.gradient(y, {x});
    FAIL() << "second gradient() of a non-persistent tape";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("persistent(true)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tape.jacobian(y, x), InvalidArgument);
}

TEST(GradientTape, PersistentTapeGivesSeveralGradients) {
  const Tensor x = vec({2});
  GradientTape tape(TapeOptions().persistent(true));
  tape.watch(x);
  const Tensor y = mul(x, x);
  const Tensor z = mul(y, y);
  EXPECT_EQ(values(tape.gradient(z, {x})[0]), V{32});  // 4x³
  EXPECT_EQ(values(tape.gradient(y, {x})[0]), V{4});   // 2x
  EXPECT_EQ(values(tape.gradient(z, {y})[0]), V{8});   // 2y, w.r.t. an intermediate
  EXPECT_EQ(tape.recorded_ops(), 2);
}

TEST(GradientTape, RecordsOnlyWhatItTracks) {
  const Tensor x = vec({1, 2});
  const Tensor c = vec({5, 5});
  GradientTape tape;
  const Tensor unwatched = mul(x, c);
  EXPECT_EQ(tape.recorded_ops(), 0);
  tape.watch(x);
  const Tensor y = mul(x, c);
  EXPECT_EQ(tape.recorded_ops(), 1);
  const std::vector<Tensor> g = tape.gradient(y, {x, c});
  EXPECT_EQ(values(g[0]), (V{5, 5}));
  EXPECT_FALSE(g[1].defined()) << "c was never watched";
}

TEST(GradientTape, WatchRejectsIntegerTensors) {
  GradientTape tape;
  try {
    tape.watch(Tensor::from_vector<std::int64_t>({1, 2}));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("i64 [2]"), std::string::npos) << e.what();
  }
}

TEST(GradientTape, UnconnectedSourcesGiveNoneOrZeros) {
  const Tensor x = vec({1, 2});
  const Tensor z = Tensor::ones(Shape{2, 2}, DType::kF64);
  GradientTape tape(TapeOptions().persistent(true));
  tape.watch(x);
  tape.watch(z);
  const Tensor y = mul(x, x);
  EXPECT_FALSE(tape.gradient(y, {x, z})[1].defined());
  const Tensor zero = tape.gradient(y, {x, z}, UnconnectedGradients::kZero)[1];
  ASSERT_TRUE(zero.defined());
  EXPECT_EQ(zero.shape(), z.shape());
  EXPECT_EQ(values(zero), (V{0, 0, 0, 0}));
  EXPECT_FALSE(tape.jacobian(y, z).defined());
  EXPECT_EQ(tape.jacobian(y, z, UnconnectedGradients::kZero).shape(), (Shape{2, 2, 2}));
}

TEST(GradientTape, StopRecordingPausesThisTapeOnly) {
  const Tensor x = vec({2});
  GradientTape outer(TapeOptions().persistent(true));
  GradientTape tape(TapeOptions().persistent(true));
  outer.watch(x);
  tape.watch(x);
  const Tensor y = mul(x, x);
  Tensor paused;
  {
    auto guard = tape.stop_recording();
    paused = mul(y, 3.0);
  }
  EXPECT_EQ(tape.recorded_ops(), 1);
  EXPECT_EQ(outer.recorded_ops(), 2);
  EXPECT_FALSE(tape.gradient(paused, {x})[0].defined());
  EXPECT_EQ(values(outer.gradient(paused, {x})[0]), V{12});
  const Tensor after = mul(y, 3.0);  // recording again once the guard is gone
  EXPECT_EQ(values(tape.gradient(after, {x})[0]), V{12});
}

TEST(GradientTape, StopGradientHidesATensor) {
  const Tensor x = vec({3});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = mul(x, stop_gradient(x));  // d/dx of x·c with c = x held fixed
  EXPECT_EQ(values(tape.gradient(y, {x})[0]), V{3});
}

TEST(GradientTape, NestedTapesGiveTheSecondDerivative) {
  const Tensor x = vec({2, 3});
  GradientTape outer;
  outer.watch(x);
  Tensor dy;
  {
    GradientTape inner;
    inner.watch(x);
    const Tensor y = mul(mul(x, x), x);  // x³
    dy = inner.gradient(y, {x})[0];
  }
  EXPECT_EQ(values(dy), (V{12, 27}));                          // 3x²
  EXPECT_EQ(values(outer.gradient(dy, {x})[0]), (V{12, 18}));  // 6x
}

TEST(GradientTape, ThreeNestedTapesGiveTheThirdDerivativeOfPow) {
  const Tensor x = vec({2});
  GradientTape t3, t2, t1;
  t3.watch(x);
  t2.watch(x);
  t1.watch(x);
  const Tensor y = pow(x, 4.0);
  const Tensor d1 = t1.gradient(y, {x})[0];   // 4x³ = 32
  const Tensor d2 = t2.gradient(d1, {x})[0];  // 12x² = 48
  const Tensor d3 = t3.gradient(d2, {x})[0];  // 24x = 48
  EXPECT_DOUBLE_EQ(values(d1)[0], 32);
  EXPECT_DOUBLE_EQ(values(d2)[0], 48);
  EXPECT_DOUBLE_EQ(values(d3)[0], 48);
}

TEST(GradientTape, SecondDerivativeThroughSoftmaxAndMatmulIsComposed) {
  // d/dx of sum((x·w)²) = 2·(x·w)·wᵀ; its gradient w.r.t. w of the sum is not zero,
  // so the backward of matmul must be recorded by the outer tape.
  const Tensor x = Tensor::from_vector<double>({1, 2}, Shape{1, 2});
  const Tensor w = Tensor::from_vector<double>({3, 4}, Shape{2, 1});
  GradientTape outer;
  outer.watch(w);
  GradientTape inner;
  inner.watch(x);
  const Tensor y = matmul(x, w);                        // 11
  const Tensor dx = inner.gradient(mul(y, y), {x})[0];  // 2·11·wᵀ = [66, 88]
  EXPECT_EQ(values(dx), (V{66, 88}));
  // sum(dx) = 2·(x·w)·(w0 + w1): d/dw0 = 2·(x0·(w0+w1) + x·w) = 2·(7 + 11) = 36, d/dw1 = 2·(14 + 11) = 50
  EXPECT_EQ(values(outer.gradient(sum(dx), {w})[0]), (V{36, 50}));
}

TEST(GradientTape, SecondDerivativeThroughConvThrowsUnimplemented) {
  const Tensor x = Tensor::ones(Shape{1, 3, 3, 1}, DType::kF32);
  const Tensor w = Tensor::ones(Shape{2, 2, 1, 1}, DType::kF32);
  GradientTape outer;
  outer.watch(w);
  GradientTape inner;
  inner.watch(x);
  const Tensor dx = inner.gradient(sum(conv2d(x, w)), {x})[0];
  EXPECT_THROW(outer.gradient(sum(mul(dx, dx)), {w}), Unimplemented);
}

TEST(GradientTape, OutputGradientWeightsTheTarget) {
  const Tensor x = vec({1, 2});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = mul(x, x);
  EXPECT_EQ(values(tape.gradient(y, {x}, vec({10, -1}))[0]), (V{20, -4}));
}

TEST(GradientTape, JacobianMatchesHandValues) {
  const Tensor a = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  const Tensor x = Tensor::from_vector<double>({1, -1, 2}, Shape{3, 1});
  GradientTape tape(TapeOptions().persistent(true));
  tape.watch(x);
  const Tensor y = matmul(a, x);  // [2, 1]
  const Tensor j = tape.jacobian(y, x);
  EXPECT_EQ(j.shape(), (Shape{2, 1, 3, 1}));
  EXPECT_EQ(values(j), (V{1, 2, 3, 4, 5, 6}));
  const Tensor v = vec({1, 2, 3});
  tape.watch(v);
  const Tensor sq = mul(v, v);
  EXPECT_EQ(values(tape.jacobian(sq, v)), (V{2, 0, 0, 0, 4, 0, 0, 0, 6}));
}

TEST(GradientTape, BatchJacobianMatchesHandValues) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  const Tensor w = Tensor::from_vector<double>({1, 0, 2, 0, 1, 1}, Shape{3, 2});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = mul(matmul(x, w), 2.0);  // [2, 2]; J[b] = 2·wᵀ for every b
  const Tensor j = tape.batch_jacobian(y, x);
  EXPECT_EQ(j.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(values(j), (V{2, 4, 2, 0, 0, 2, 2, 4, 2, 0, 0, 2}));
}

TEST(GradientTape, BatchJacobianOfElementwiseOpIsDiagonalPerRow) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 3, 4}, Shape{2, 2});
  GradientTape tape;
  tape.watch(x);
  const Tensor j = tape.batch_jacobian(mul(x, x), x);
  EXPECT_EQ(values(j), (V{2, 0, 0, 4, 6, 0, 0, 8}));
  EXPECT_THROW(GradientTape().batch_jacobian(vec({1, 2}), Tensor::ones(Shape{3, 2}, DType::kF64)), InvalidArgument);
}

TEST(GradientTape, CustomGradientReplacesTheRecordedOnes) {
  const Tensor x = vec({2, 5});
  GradientTape outer;
  outer.watch(x);
  GradientTape tape;
  tape.watch(x);
  const Tensor y = custom_gradient({x}, [](const std::vector<Tensor>& in) {
    // forward x², but the gradient claims 3x·dy
    return CustomGradient{mul(in[0], in[0]), [x0 = in[0]](const Tensor& dy) {
                            return std::vector<Tensor>{mul(dy, mul(x0, 3.0))};
                          }};
  });
  EXPECT_EQ(values(y), (V{4, 25}));
  EXPECT_EQ(tape.recorded_ops(), 1) << "the forward inside custom_gradient is not recorded";
  const Tensor dy = tape.gradient(y, {x})[0];
  EXPECT_EQ(values(dy), (V{6, 15}));
  EXPECT_EQ(values(outer.gradient(dy, {x})[0]), (V{3, 3})) << "the user's gradient is differentiated again";
}

TEST(GradientTape, CustomGradientReturningItsInputStillUsesTheUserGradient) {
  const Tensor x = vec({1});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = custom_gradient({x}, [](const std::vector<Tensor>& in) {
    return CustomGradient{in[0], [](const Tensor& dy) { return std::vector<Tensor>{mul(dy, -1.0)}; }};
  });
  EXPECT_EQ(values(tape.gradient(y, {x})[0]), V{-1});
}

TEST(GradientTape, SweepReleasesSavedTensors) {
  const Tensor x = vec({1, 2});
  const long before = x.storage().use_count();
  GradientTape tape;
  tape.watch(x);
  Tensor y = sum(mul(exp(x), x));  // mul saves x, exp saves its output
  EXPECT_GT(x.storage().use_count(), before);
  tape.gradient(y, {x});
  EXPECT_EQ(x.storage().use_count(), before) << "a non-persistent sweep frees the tensors the ops saved";
}

TEST(GradientTape, EachThreadHasItsOwnTapes) {
  const Tensor shared = vec({1, 2});
  GradientTape main_tape;
  main_tape.watch(shared);
  std::vector<double> got[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int step = 0; step < 50; ++step) {
        const Tensor x = vec({static_cast<double>(t + 1)});
        GradientTape tape;
        tape.watch(x);
        const Tensor y = mul(mul(x, x), sum(shared));  // shared is watched by main_tape only
        got[t] = values(tape.gradient(y, {x})[0]);
      }
    });
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(got[0], V{6});   // 2x·3 at x = 1
  EXPECT_EQ(got[1], V{12});  // at x = 2
  EXPECT_EQ(main_tape.recorded_ops(), 0) << "ops on other threads never reach this thread's tape";
}

TEST(GradientTape, IdentityReshapeKeepsTheGradientFlowing) {
  const Tensor x = vec({1, 2});
  GradientTape tape;
  tape.watch(x);
  const Tensor same = reshape(x, {2});
  const Tensor y = sum(mul(reshape(same, {2, 1}), 3.0));
  EXPECT_EQ(values(tape.gradient(y, {x})[0]), (V{3, 3}));
}

// Every way of writing the same function gives TensorFlow's answer: the operators and
// the named ops are one vocabulary, all recorded (issue: `x * x` used to be a raw kernel).
class TapeVocabulary : public ::testing::Test {
 protected:
  double dx(const std::function<Tensor(const Tensor&)>& f) {
    const Tensor x = vec({3});
    GradientTape tape;
    tape.watch(x);
    const Tensor g = tape.gradient(f(x), {x})[0];
    EXPECT_TRUE(g.defined());
    return g.defined() ? values(g)[0] : 0;
  }
};

TEST_F(TapeVocabulary, OperatorsRecordLikeNamedOps) {
  EXPECT_EQ(dx([](const Tensor& x) { return x * x * x; }), 27);
  EXPECT_EQ(dx([](const Tensor& x) { return mul(x * x, x); }), 27);
  EXPECT_EQ(dx([](const Tensor& x) { return add(mul(x, x), x * 2.0); }), 8);
  EXPECT_EQ(dx([](const Tensor& x) { return 2.0 * x - x / 3.0 + 1.0; }), 2.0 - 1.0 / 3.0);
  EXPECT_EQ(dx([](const Tensor& x) { return 1.0 / x; }), -1.0 / 9);
  EXPECT_EQ(dx([](const Tensor& x) { return 10.0 - -x; }), 1);
  EXPECT_EQ(dx([](const Tensor& x) { return x * x - x + x / x; }), 5);
}

TEST_F(TapeVocabulary, RawKernelsAreNotRecorded) {
  const Tensor x = vec({3});
  GradientTape tape;
  tape.watch(x);
  const Tensor y = kernels::mul(x, x);
  EXPECT_EQ(tape.recorded_ops(), 0);
  EXPECT_FALSE(tape.gradient(y, {x})[0].defined());
}

TEST_F(TapeVocabulary, VariableReadWithOperatorsTrains) {
  // (w - 3)² by SGD: every step must move w, so 50 steps end near 3.
  Variable w("w", vec({0}));
  SGD sgd(SGDOptions().learning_rate(0.1));
  for (int step = 0; step < 50; ++step) {
    GradientTape tape;
    const Tensor d = w.value() - 3.0;
    const Tensor loss = d * d;
    const std::vector<Tensor> grads = tape.gradient(loss, std::vector<Variable>{w});
    sgd.apply_gradients(grads, std::vector<Variable>{w});
  }
  EXPECT_NEAR(values(w.unwatched_value())[0], 3.0, 1e-4);
}

}  // namespace
}  // namespace spool::autodiff
