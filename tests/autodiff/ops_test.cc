// What the gradient check does not see: forward semantics and error messages of ops.
#include "spool/autodiff/ops.h"

#include <gtest/gtest.h>

#include "spool/autodiff/tape.h"

namespace spool::autodiff {
namespace {

template <typename Fn>
std::string message_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Ops, DropoutIsAFunctionOfTheGeneratorAndKeepsTheMean) {
  const Tensor x = Tensor::ones(Shape{100, 100}, DType::kF32);
  Generator a(42), b(42), c(43);
  const Tensor ya = dropout(x, 0.25, a);
  EXPECT_EQ(ya.to_vector<float>(), dropout(x, 0.25, b).to_vector<float>());
  EXPECT_NE(ya.to_vector<float>(), dropout(x, 0.25, c).to_vector<float>());
  std::int64_t kept = 0;
  for (float v : ya.to_vector<float>()) {
    ASSERT_TRUE(v == 0.0f || std::abs(v - 4.0f / 3.0f) < 1e-6f) << v;
    kept += v != 0.0f;
  }
  EXPECT_NEAR(static_cast<double>(kept) / 10000.0, 0.75, 0.02);
  Generator d(1);
  EXPECT_EQ(dropout(x, 0.0, d).raw_data(), x.raw_data()) << "rate 0 is the identity";
  EXPECT_THROW(dropout(x, 1.0, d), InvalidArgument);
}

TEST(Ops, GatherQuotesTheBadIndex) {
  const Tensor table = Tensor::zeros(Shape{4, 2}, DType::kF32);
  const Tensor ids = Tensor::from_vector<std::int64_t>({1, 7});
  EXPECT_EQ(message_of([&] { embedding_lookup(table, ids); }),
            "gather: index 7 (at position 1) out of range [0, 4) for axis 0 of [4, 2]");
  EXPECT_NE(message_of([&] { gather(table, Tensor::from_vector<float>({1})); }).find("i32 or i64, got f32"),
            std::string::npos);
}

TEST(Ops, ConcatAndStackNameTheShapesThatDoNotFit) {
  const Tensor a = Tensor::zeros(Shape{2, 3}, DType::kF32);
  const Tensor b = Tensor::zeros(Shape{3, 3}, DType::kF32);
  EXPECT_EQ(message_of([&] { concat({a, b}, 1); }), "concat: f32[3, 3] does not fit f32[2, 3] along axis 1");
  EXPECT_EQ(concat({a, b}, 0).shape(), (Shape{5, 3}));
  EXPECT_EQ(message_of([&] { stack({a, b}); }), "stack: shapes differ: [3, 3] and [2, 3]");
}

TEST(Ops, ConcatCopiesEveryPartInPlace) {
  const Tensor a = Tensor::from_vector<double>({1, 2, 3, 4}, Shape{2, 2});
  const Tensor b = Tensor::from_vector<double>({5, 6}, Shape{2, 1});
  EXPECT_EQ(concat({a, b}, -1).to_vector<double>(), (std::vector<double>{1, 2, 5, 3, 4, 6}));
  EXPECT_EQ(stack({b, b}, 0).shape(), (Shape{2, 2, 1}));
}

TEST(Ops, MaxSharesTheGradientAmongTies) {
  const Tensor x = Tensor::from_vector<double>({1, 3, 3, 2});
  GradientTape tape;
  tape.watch(x);
  EXPECT_EQ(tape.gradient(max(x), {x})[0].to_vector<double>(), (std::vector<double>{0, 0.5, 0.5, 0}));
}

TEST(Ops, ReluGradientIsZeroAtZeroAsTensorFlow) {
  for (DType dtype : {DType::kF32, DType::kF64}) {
    const Tensor x = Tensor::from_vector<double>({-1, 0, 2}).cast(dtype);
    GradientTape tape;
    tape.watch(x);
    EXPECT_EQ(tape.gradient(relu(x), {x})[0].cast(DType::kF64).to_vector<double>(),
              (std::vector<double>{0, 0, 1}))
        << dtype_name(dtype);
  }
}

TEST(Ops, UntrackedOpsRecordNothing) {
  GradientTape tape;
  const Tensor x = Tensor::ones(Shape{2, 2}, DType::kF32);
  softmax(matmul(x, x));
  EXPECT_EQ(tape.recorded_ops(), 0);
}

}  // namespace
}  // namespace spool::autodiff
