#include "spool/tensor/kernels/broadcast.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "spool/tensor/kernels/elementwise.h"
#include "tensor/elementwise_test_util.h"

namespace spool::kernels {
namespace {

struct ShapeCase {
  Shape a;
  Shape b;
  std::optional<Shape> expected;  // nullopt: NumPy raises
};

// Written down by hand from NumPy's rule (align right; equal, or one of them is 1).
const ShapeCase kShapeCases[] = {
    {Shape{2, 3}, Shape{3}, Shape{2, 3}},
    {Shape{4, 1, 3}, Shape{5, 1}, Shape{4, 5, 3}},
    {Shape{0, 3}, Shape{1, 3}, Shape{0, 3}},
    {Shape{0}, Shape{1}, Shape{0}},
    {Shape{0}, Shape{}, Shape{0}},
    {Shape{2, 3}, Shape{2}, std::nullopt},
    {Shape{}, Shape{2, 2}, Shape{2, 2}},
    {Shape{}, Shape{}, Shape{}},
    {Shape{1}, Shape{}, Shape{1}},
    {Shape{8, 1, 6, 1}, Shape{7, 1, 5}, Shape{8, 7, 6, 5}},
    {Shape{5, 4}, Shape{1}, Shape{5, 4}},
    {Shape{15, 3, 5}, Shape{15, 1, 5}, Shape{15, 3, 5}},
    {Shape{15, 3, 5}, Shape{3, 1}, Shape{15, 3, 5}},
    {Shape{3}, Shape{4}, std::nullopt},
    {Shape{2, 1}, Shape{8, 4, 3}, std::nullopt},
    {Shape{0}, Shape{2}, std::nullopt},
    {Shape{1, 0}, Shape{3, 1}, Shape{3, 0}},
    {Shape{1, 1, 1}, Shape{7}, Shape{1, 1, 7}},
};

TEST(BroadcastShapes, MatchesNumPyTable) {
  for (const ShapeCase& c : kShapeCases) {
    SCOPED_TRACE(c.a.to_string() + " with " + c.b.to_string());
    for (bool swapped : {false, true}) {
      const Shape& x = swapped ? c.b : c.a;
      const Shape& y = swapped ? c.a : c.b;
      if (c.expected) {
        EXPECT_EQ(broadcast_shapes(x, y), *c.expected);
        EXPECT_TRUE(broadcastable_to(x, *c.expected));
        EXPECT_TRUE(broadcastable_to(y, *c.expected));
      } else {
        EXPECT_THROW(broadcast_shapes(x, y), InvalidArgument);
      }
    }
  }
}

TEST(BroadcastShapes, ErrorQuotesBothShapes) {
  try {
    add(Tensor::zeros(Shape{2, 3}, DType::kF32), Tensor::zeros(Shape{4}, DType::kF32));
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "add: cannot broadcast shapes [2, 3] and [4]");
  }
}

TEST(BroadcastShapes, BroadcastableToIsOneWay) {
  EXPECT_TRUE(broadcastable_to(Shape{3}, Shape{2, 3}));
  EXPECT_FALSE(broadcastable_to(Shape{2, 3}, Shape{3}));
  EXPECT_FALSE(broadcastable_to(Shape{2}, Shape{2, 3}));
  EXPECT_TRUE(broadcastable_to(Shape{1, 1}, Shape{0, 4}));
  EXPECT_FALSE(broadcastable_to(Shape{2, 1}, Shape{0, 4}));
}

// Every position's offsets, by unravelling the index: the walk must agree with this.
std::vector<std::vector<std::int64_t>> reference_offsets(const Shape& shape,
                                                         const std::vector<std::vector<std::int64_t>>& strides) {
  std::vector<std::vector<std::int64_t>> out;
  for (std::int64_t i = 0; i < shape.numel(); ++i) {
    const auto index = testing::unravel(i, shape);
    std::vector<std::int64_t> at;
    for (const auto& s : strides) {
      std::int64_t off = 0;
      for (std::size_t a = 0; a < index.size(); ++a) off += index[a] * s[a];
      at.push_back(off);
    }
    out.push_back(at);
  }
  return out;
}

std::vector<std::vector<std::int64_t>> walked_offsets(const kernels::StridedLoop& loop, std::int64_t begin,
                                                      std::int64_t end) {
  std::vector<std::vector<std::int64_t>> out;
  loop.for_each_run(begin, end, [&](const std::int64_t* at, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      std::vector<std::int64_t> row;
      for (int k = 0; k < loop.operands(); ++k) row.push_back(at[k] + i * loop.inner_stride(k));
      out.push_back(row);
    }
  });
  return out;
}

TEST(BroadcastStridedLoop, VisitsEveryPositionInOrderFromAnyStart) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<std::int64_t> dims(rng() % 5);
    for (auto& d : dims) d = static_cast<std::int64_t>(rng() % 4);
    const Shape shape(dims);
    const Tensor a = testing::random_view(shape, DType::kF32, testing::Layout(trial % 4), rng);
    const Tensor b = testing::random_view(shape, DType::kF32, testing::Layout((trial / 4) % 4), rng);
    const std::vector<std::vector<std::int64_t>> strides = {contiguous_strides(shape), a.strides(), b.strides()};
    const kernels::StridedLoop loop(shape, strides);
    ASSERT_EQ(loop.numel(), shape.numel());
    const auto expected = reference_offsets(shape, strides);
    EXPECT_EQ(walked_offsets(loop, 0, loop.numel()), expected) << shape.to_string();
    // Any cut into two ranges must give the same sequence: that is how chunks split.
    const std::int64_t cut = loop.numel() == 0 ? 0 : static_cast<std::int64_t>(rng() % (loop.numel() + 1));
    auto first = walked_offsets(loop, 0, cut);
    const auto second = walked_offsets(loop, cut, loop.numel());
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, expected) << shape.to_string() << " cut at " << cut;
  }
}

TEST(BroadcastStridedLoop, MergesAxesIntoLongRuns) {
  // Contiguous: one run however many axes.
  const Shape s{4, 5, 6};
  const kernels::StridedLoop contiguous(s, {contiguous_strides(s), contiguous_strides(s)});
  EXPECT_EQ(contiguous.inner_extent(), 120);
  // Bias add [N, C] + [C]: runs of C, the bias with inner stride 1.
  const Shape nc{32, 128};
  const Tensor bias = Tensor::zeros(Shape{128}, DType::kF32).broadcast_to(nc);
  const kernels::StridedLoop bias_add(nc, {contiguous_strides(nc), contiguous_strides(nc), bias.strides()});
  EXPECT_EQ(bias_add.inner_extent(), 128);
  EXPECT_EQ(bias_add.inner_stride(2), 1);
  // Scalar broadcast: one run, stride 0.
  const Tensor scalar = Tensor::zeros(Shape{}, DType::kF32).broadcast_to(s);
  const kernels::StridedLoop with_scalar(s, {contiguous_strides(s), scalar.strides()});
  EXPECT_EQ(with_scalar.inner_extent(), 120);
  EXPECT_EQ(with_scalar.inner_stride(1), 0);
  // Transposed: the inner axis cannot merge.
  const Tensor t = Tensor::zeros(Shape{6, 5}, DType::kF32).transpose(0, 1);
  const kernels::StridedLoop transposed(t.shape(), {contiguous_strides(t.shape()), t.strides()});
  EXPECT_EQ(transposed.inner_extent(), 6);
  EXPECT_EQ(transposed.inner_stride(1), 5);
}

}  // namespace
}  // namespace spool::kernels
