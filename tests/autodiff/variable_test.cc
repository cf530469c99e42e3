// Variables, the flat arena they live in, and how tapes watch them.
#include "spool/autodiff/variable.h"

#include <gtest/gtest.h>

#include "spool/autodiff/ops.h"
#include "spool/autodiff/tape.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool::autodiff {
namespace {

using V = std::vector<double>;
std::vector<double> values(const Tensor& t) { return t.cast(DType::kF64).to_vector<double>(); }
Tensor vec(std::vector<double> v) { return Tensor::from_vector(v); }

TEST(Variable, ReadOnAnActiveTapeIsWatched) {
  Variable w("w", vec({3, 4}));
  GradientTape tape;
  const Tensor y = mul(w, w);
  EXPECT_EQ(values(tape.gradient(y, {w.unwatched_value()})[0]), (V{6, 8}));
}

TEST(Variable, WatchAccessedVariablesFalseLeavesThemUnwatched) {
  Variable w("w", vec({3}));
  Variable u("u", vec({5}));
  GradientTape tape(TapeOptions().watch_accessed_variables(false).persistent(true));
  tape.watch(u);
  const Tensor y = mul(w, u);
  const std::vector<Variable> both{w, u};
  const std::vector<Tensor> g = tape.gradient(y, both);
  EXPECT_FALSE(g[0].defined());
  EXPECT_EQ(values(g[1]), V{3});
  EXPECT_EQ(values(tape.gradient(y, both, UnconnectedGradients::kZero)[0]), V{0});
}

TEST(Variable, NonTrainableVariablesAreNotWatched) {
  Variable frozen("frozen", vec({2}), /*trainable=*/false);
  GradientTape tape;
  const Tensor y = mul(frozen, frozen);
  EXPECT_EQ(tape.recorded_ops(), 0);
  EXPECT_FALSE(tape.gradient(y, {frozen.unwatched_value()})[0].defined());
}

TEST(Variable, AssignKeepsTheIdentity) {
  Variable w("w", vec({1, 2}));
  const Tensor before = w.unwatched_value();
  w.assign(vec({5, 6}));
  w.assign_add(vec({1, 1}));
  w.assign_sub(vec({0.5, 0.5}));
  EXPECT_EQ(values(w.value()), (V{5.5, 6.5}));
  EXPECT_EQ(before.raw_data(), w.unwatched_value().raw_data()) << "assign writes in place";
  w.assign(vec({7}));  // broadcasts
  EXPECT_EQ(values(w.value()), (V{7, 7}));
  EXPECT_THROW(w.assign(vec({1, 2, 3})), InvalidArgument);
  EXPECT_THROW(w.assign(Tensor::from_vector<float>({1, 2})), InvalidArgument);
  GradientTape tape;
  const Tensor y = mul(w, 2.0);
  EXPECT_EQ(values(tape.gradient(y, {before})[0]), (V{2, 2})) << "an earlier read is the same tensor to the tape";
}

TEST(VariableArena, VariablesShareOneAlignedBuffer) {
  VariableArena arena(DType::kF64);
  Variable a = arena.add("a", vec({1, 2, 3}));
  Variable b = arena.add("b", Tensor::from_vector<double>({4, 5, 6, 7}, Shape{2, 2}), /*trainable=*/false);
  Variable c = arena.add("c", vec({8}));
  ASSERT_EQ(arena.variables().size(), 3u);
  EXPECT_EQ(arena.offset(0), 0);
  EXPECT_EQ(arena.offset(1), 8);  // 64 bytes of f64
  EXPECT_EQ(arena.offset(2), 16);
  EXPECT_EQ(arena.size(), 17);
  const Tensor flat = arena.flat();
  EXPECT_EQ(values(flat), (V{1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0, 8}));
  EXPECT_EQ(b.shape(), (Shape{2, 2}));
  // One loop over the buffer updates every variable.
  Tensor buffer = flat;
  kernels::mul_(buffer, 2.0);
  EXPECT_EQ(values(b.value()), (V{8, 10, 12, 14}));
  const std::vector<Variable> trainable = arena.trainable_variables();
  ASSERT_EQ(trainable.size(), 2u);
  EXPECT_EQ(trainable[1].name(), "c");
  // A gradient buffer laid out like the arena.
  const Tensor grads = Tensor::zeros(Shape{arena.size()}, DType::kF64);
  Tensor db = arena.slice_of(grads, 1);
  kernels::add_(db, Tensor::ones(Shape{2, 2}, DType::kF64));
  EXPECT_EQ(values(grads)[8], 1);
  EXPECT_EQ(values(grads)[12], 0);
  EXPECT_THROW(arena.slice_of(Tensor::zeros(Shape{3}, DType::kF64), 0), InvalidArgument);
  EXPECT_THROW(arena.offset(3), OutOfRange);
}

TEST(VariableArena, GrowingMovesEveryVariableToTheNewBuffer) {
  VariableArena arena;  // f32
  Variable first = arena.add("first", Tensor::full(Shape{10}, 1.5, DType::kF32));
  Variable big = arena.add("big", Tensor::full(Shape{5000}, 2.0, DType::kF32));
  const auto* base = static_cast<const float*>(arena.flat().raw_data());
  EXPECT_EQ(first.unwatched_value().raw_data(), base) << "rebound to the grown buffer";
  EXPECT_EQ(static_cast<const float*>(big.unwatched_value().raw_data()), base + arena.offset(1));
  EXPECT_EQ(first.unwatched_value().to_vector<float>(), std::vector<float>(10, 1.5f));
  EXPECT_EQ(big.unwatched_value().to_vector<float>()[4999], 2.0f);
}

TEST(VariableArena, RejectsAnotherDtypeNamingTheVariable) {
  VariableArena arena;
  try {
    arena.add("dense/kernel", vec({1}));
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'dense/kernel'"), std::string::npos) << e.what();
  }
}

TEST(VariableArena, GradientsOfArenaVariablesThroughADenseLayer) {
  VariableArena arena(DType::kF64);
  Variable w = arena.add("w", Tensor::from_vector<double>({1, 2, 3, 4}, Shape{2, 2}));
  Variable b = arena.add("b", vec({0.5, -0.5}));
  const Tensor x = Tensor::from_vector<double>({1, 1, 2, 0}, Shape{2, 2});
  GradientTape tape;
  const Tensor loss = sum(add(matmul(x, w), b));
  const std::vector<Tensor> g = tape.gradient(loss, arena.trainable_variables());
  EXPECT_EQ(values(g[0]), (V{3, 3, 1, 1}));  // xᵀ·1: column sums of x per row of w
  EXPECT_EQ(values(g[1]), (V{2, 2}));
}

}  // namespace
}  // namespace spool::autodiff
