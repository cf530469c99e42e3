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

// Element n of 1, 2, 3, ...: (i64[n] 0..n-1, f32[] n).
Dataset ragged(std::int64_t count) {
  return Dataset::range(1, count + 1).map([](Element e) {
    const std::int64_t n = e[0].item<std::int64_t>();
    return Element{Tensor::arange(0, static_cast<double>(n)), e[0].cast(DType::kF32)};
  });
}

using I64s = std::vector<std::int64_t>;

TEST(PaddedBatch, PadsToTheLargestInTheBatch) {
  auto ds = ragged(3).padded_batch(2);
  EXPECT_EQ(ds.cardinality(), 2);
  auto batches = drain(ds);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0][0].shape(), (Shape{2, 2}));
  EXPECT_EQ(batches[0][0].to_vector<std::int64_t>(), (I64s{0, 0, 0, 1}));
  EXPECT_EQ(batches[0][1].to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(batches[1][0].shape(), (Shape{1, 3}));
  EXPECT_EQ(batches[1][0].to_vector<std::int64_t>(), (I64s{0, 1, 2}));
  EXPECT_EQ(ragged(3).padded_batch(2, PaddedBatchOptions().drop_remainder(true)).cardinality(), 1);
  EXPECT_EQ(drain(ragged(3).padded_batch(2, PaddedBatchOptions().drop_remainder(true))).size(), 1u);
}

TEST(PaddedBatch, PadsEveryAxisOfHigherRanks) {
  // Element n is an n x (4 - n) block of n.
  auto ds = Dataset::range(1, 4).map([](Element e) {
    const std::int64_t n = e[0].item<std::int64_t>();
    return Element{Tensor::full(Shape{n, 4 - n}, static_cast<double>(n), DType::kI32)};
  });
  auto batch = drain(ds.padded_batch(3))[0][0];
  EXPECT_EQ(batch.shape(), (Shape{3, 3, 3}));
  EXPECT_EQ(batch.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 1, 1, 0, 0, 0, 0, 0, 0,  //
                                                                        2, 2, 0, 2, 2, 0, 0, 0, 0,  //
                                                                        3, 0, 0, 3, 0, 0, 3, 0, 0}));
}

TEST(PaddedBatch, PaddedShapesAndValuesPerComponent) {
  auto ds = ragged(2).padded_batch(2, PaddedBatchOptions().padded_shapes({{4}, {}}).padding_values({-1, 0}));
  auto batch = drain(ds)[0];
  EXPECT_EQ(batch[0].to_vector<std::int64_t>(), (I64s{0, -1, -1, -1, 0, 1, -1, -1}));
  auto largest = ragged(2).padded_batch(2, PaddedBatchOptions().padded_shapes({{-1}, {}}).padding_values({7, 0}));
  EXPECT_EQ(drain(largest)[0][0].to_vector<std::int64_t>(), (I64s{0, 7, 0, 1}));
}

TEST(PaddedBatch, OnePaddingValuePadsEveryComponent) {
  // Element n: (i64[n] 0..n-1, f32[n] of n), so both components need padding.
  auto ds = Dataset::range(1, 3).map([](Element e) {
    const std::int64_t n = e[0].item<std::int64_t>();
    return Element{Tensor::arange(0, static_cast<double>(n)), Tensor::full(Shape{n}, static_cast<double>(n), DType::kF32)};
  });
  auto batch = drain(ds.padded_batch(2, PaddedBatchOptions().padding_values({-1})))[0];
  EXPECT_EQ(batch[0].to_vector<std::int64_t>(), (I64s{0, -1, 0, 1}));
  EXPECT_EQ(batch[1].to_vector<float>(), (std::vector<float>{1, -1, 2, 2}));
}

TEST(PaddedBatch, ErrorsNameTheComponentAndTheShapes) {
  expect_error<InvalidArgument>(
      [&] {
        drain(ragged(3).padded_batch(3, PaddedBatchOptions().padded_shapes({{2}, {}})));
      },
      "padded_batch: component 0 of element #2 in the batch has shape [3], larger than its padded shape [2]");
  expect_error<InvalidArgument>(
      [&] {
        drain(ragged(2).padded_batch(2, PaddedBatchOptions().padded_shapes({{2, 2}, {}})));
      },
      "padded_batch: component 0 has rank 1 (i64[1]) but its padded shape [2, 2] has rank 2");
  auto ranks = Dataset::range(1, 3).map([](Element e) {
    const std::int64_t n = e[0].item<std::int64_t>();
    return Element{Tensor::zeros(n == 1 ? Shape{2} : Shape{1, 2}, DType::kI64)};
  });
  expect_error<InvalidArgument>([&] { drain(ranks.padded_batch(2)); },
                                "padded_batch: component 0 of element #1 in the batch is i64[1, 2] but element #0 has "
                                "i64[2] (dtypes and ranks must agree)");
  expect_error<InvalidArgument>(
      [&] { drain(ragged(2).padded_batch(2, PaddedBatchOptions().padding_values({1, 2, 3}))); },
      "padded_batch: 3 padding values for 2 components (i64[1], f32[])");
  expect_error<InvalidArgument>(
      [&] { drain(ragged(2).padded_batch(2, PaddedBatchOptions().padded_shapes({{-1}}))); },
      "padded_batch: 1 padded shapes for 2 components (i64[1], f32[])");
  EXPECT_THROW(Dataset::range(2).padded_batch(0), InvalidArgument);
  EXPECT_THROW(Dataset::range(2).padded_batch(1, PaddedBatchOptions().padded_shapes({{-2}})), InvalidArgument);
}

TEST(PaddedBatch, ResumesExactlyWithShuffleAndParallelMap) {
  auto ds =
      Dataset::range(1, 15)
          .shuffle(ShuffleOptions().buffer_size(5).seed(12))
          .map([](Element e) { return Element{Tensor::arange(0, static_cast<double>(e[0].item<std::int64_t>()))}; },
               MapOptions().parallelism(2))
          .padded_batch(4);
  EXPECT_EQ(ds.cardinality(), 4);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
