#include <gtest/gtest.h>

#include "data/ops/ops_test_util.h"
#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"

namespace spool::data {
namespace {

using spool::testing::all_cuts;
using spool::testing::drain;
using spool::testing::expect_error;
using spool::testing::expect_resumes_exactly;
using spool::testing::scalars;

TEST(Concatenate, YieldsTheFirstThenTheSecond) {
  auto ds = Dataset::range(3).concatenate(Dataset::range(10, 12));
  EXPECT_EQ(ds.cardinality(), 5);
  EXPECT_EQ(scalars(ds), (std::vector<std::int64_t>{0, 1, 2, 10, 11}));
  EXPECT_EQ(scalars(Dataset::range(0).concatenate(Dataset::range(2))), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(scalars(Dataset::range(2).concatenate(Dataset::range(0))), (std::vector<std::int64_t>{0, 1}));
}

TEST(Concatenate, CardinalityFollowsTfData) {
  auto unknown = Dataset::range(4).filter([](const Element&) { return true; });
  EXPECT_EQ(Dataset::range(3).concatenate(unknown).cardinality(), kUnknownCardinality);
  EXPECT_EQ(unknown.concatenate(Dataset::range(1).repeat()).cardinality(), kInfiniteCardinality);
}

TEST(Concatenate, ShapesMayDifferButDtypesAndCountsMustMatch) {
  auto short_rows = Dataset::from_tensor_slices(Element{Tensor::zeros(Shape{2, 3}, DType::kF32)});
  auto long_rows = Dataset::from_tensor_slices(Element{Tensor::zeros(Shape{1, 5}, DType::kF32)});
  auto mixed = drain(short_rows.concatenate(long_rows));
  ASSERT_EQ(mixed.size(), 3u);
  EXPECT_EQ(mixed[2][0].shape(), Shape{5});

  auto pairs = Dataset::range(2).map([](Element e) { return Element{e[0], e[0].cast(DType::kF32)}; });
  Iterator it = Dataset::range(2).concatenate(pairs).make_iterator();
  EXPECT_EQ(drain(it, 2).size(), 2u);
  expect_error<InvalidArgument>(
      [&] { it.next(); },
      "concatenate: element #0 of the second dataset is (i64[], f32[]) but the first dataset yields (i64[])");
  auto floats = Dataset::range(2).map([](Element e) { return Element{e[0].cast(DType::kF64)}; });
  EXPECT_THROW(drain(Dataset::range(2).concatenate(floats)), InvalidArgument);
}

TEST(Concatenate, ResumesExactlyWithShuffleAndParallelMap) {
  auto first = Dataset::range(12).shuffle(ShuffleOptions().buffer_size(4).seed(8));
  auto second = Dataset::range(100, 115).map([](Element e) { return e; }, MapOptions().parallelism(2));
  auto ds = first.concatenate(second).batch(4);
  EXPECT_EQ(ds.cardinality(), 7);
  expect_resumes_exactly(ds, all_cuts(ds));
  auto plain = first.concatenate(second);
  expect_resumes_exactly(plain, all_cuts(plain));
}

}  // namespace
}  // namespace spool::data
