#include <gtest/gtest.h>

#include <sstream>

#include "spool/tensor/tensor.h"

namespace spool {
namespace {

using I64 = std::vector<std::int64_t>;

Tensor iota(Shape shape) { return Tensor::arange(0, static_cast<double>(shape.numel())).reshape(shape); }

TEST(TensorViewsTest, TransposeAndPermuteReorderAxesWithoutCopying) {
  Tensor t = iota(Shape{2, 3});
  Tensor tt = t.transpose(0, 1);
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_EQ(tt.storage(), t.storage());
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.to_vector<std::int64_t>(), (I64{0, 3, 1, 4, 2, 5}));
  Tensor p = iota(Shape{2, 3, 4}).permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.at<std::int64_t>({3, 1, 2}), 1 * 12 + 2 * 4 + 3);
  EXPECT_THROW(t.permute({0, 0}), InvalidArgument);
}

TEST(TensorViewsTest, SelectSliceSqueezeUnsqueeze) {
  Tensor t = iota(Shape{3, 4});
  EXPECT_EQ(t.select(0, 1).to_vector<std::int64_t>(), (I64{4, 5, 6, 7}));
  EXPECT_EQ(t.select(1, -1).to_vector<std::int64_t>(), (I64{3, 7, 11}));
  EXPECT_EQ(t.slice(1, 1, 100, 2).to_vector<std::int64_t>(), (I64{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(t.slice(0, -2, 3).shape(), (Shape{2, 4}));
  Tensor u = t.unsqueeze(1);
  EXPECT_EQ(u.shape(), (Shape{3, 1, 4}));
  EXPECT_TRUE(u.is_contiguous());
  EXPECT_EQ(u.squeeze(1).shape(), (Shape{3, 4}));
  EXPECT_EQ(t.unsqueeze(-1).shape(), (Shape{3, 4, 1}));
  EXPECT_EQ(iota(Shape{1, 3, 1}).squeeze().shape(), (Shape{3}));
  EXPECT_THROW(t.squeeze(0), InvalidArgument);
  EXPECT_THROW(t.select(0, 3), OutOfRange);
}

TEST(TensorViewsTest, BroadcastToUsesZeroStrides) {
  Tensor row = Tensor::from_vector<float>({1, 2, 3});
  Tensor b = row.broadcast_to(Shape{2, 3});
  EXPECT_EQ(b.strides(), (I64{0, 1}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  Tensor col = Tensor::from_vector<float>({1, 2}, Shape{2, 1});
  EXPECT_EQ(col.broadcast_to(Shape{2, 2}).to_vector<float>(), (std::vector<float>{1, 1, 2, 2}));
  try {
    row.broadcast_to(Shape{2, 4});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "broadcast_to: cannot broadcast shape [3] to [2, 4] (axis 1: 3 vs 4)");
  }
}

TEST(TensorViewsTest, ReshapeViewsContiguousAndCopiesOtherwise) {
  Tensor t = iota(Shape{2, 6});
  Tensor r = t.reshape({3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 4}));
  EXPECT_EQ(r.storage(), t.storage());
  Tensor tt = t.transpose(0, 1);
  Tensor c = tt.reshape({12});
  EXPECT_NE(c.storage(), t.storage());
  EXPECT_EQ(c.to_vector<std::int64_t>(), (I64{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}));
  EXPECT_THROW(t.reshape({5, -1}), InvalidArgument);
  EXPECT_THROW(t.reshape({-1, -1}), InvalidArgument);
  EXPECT_EQ(t.reshape(Shape{4, 3}).shape(), (Shape{4, 3}));
}

TEST(TensorViewsTest, ContiguousCastAndFactories) {
  Tensor t = iota(Shape{2, 2}).transpose(0, 1);
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_vector<std::int64_t>(), (I64{0, 2, 1, 3}));
  EXPECT_EQ(c.contiguous().storage(), c.storage());
  EXPECT_EQ(Tensor::from_vector<float>({1.7f, -2.7f}).cast(DType::kI32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, -2}));
  EXPECT_EQ(Tensor::full(Shape{2}, 2.5, DType::kF64).to_vector<double>(), (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(Tensor::ones(Shape{3}, DType::kU8).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 1, 1}));
  EXPECT_EQ(Tensor::arange(5, 0, -2).to_vector<std::int64_t>(), (I64{5, 3, 1}));
  EXPECT_EQ(Tensor::arange(0, 1, 0.25, DType::kF32).to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  EXPECT_THROW(Tensor::arange(0, 1, 0), InvalidArgument);
  EXPECT_EQ(Tensor::scalar<std::int64_t>(7).item_as_double(), 7.0);
}

TEST(TensorViewsTest, PrintsNestedAndAbbreviated) {
  std::ostringstream small;
  small << iota(Shape{2, 2});
  EXPECT_EQ(small.str(), "tensor([[0, 1], [2, 3]], shape=[2, 2], dtype=i64)");
  std::ostringstream big;
  big << Tensor::arange(0, 100);
  EXPECT_EQ(big.str(), "tensor([0, 1, 2, ..., 97, 98, 99], shape=[100], dtype=i64)");
  std::ostringstream scalar;
  scalar << Tensor::scalar<std::uint8_t>(200);
  EXPECT_EQ(scalar.str(), "tensor(200, shape=[], dtype=u8)");
}

}  // namespace
}  // namespace spool
