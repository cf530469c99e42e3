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
using spool::testing::rows;

using Batches = std::vector<std::vector<std::int64_t>>;

TEST(Rebatch, JoinsAndSlicesInputBatches) {
  EXPECT_EQ(rows(Dataset::range(10).batch(3).rebatch(4)), (Batches{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
  EXPECT_EQ(rows(Dataset::range(10).batch(3).rebatch(4, true)), (Batches{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(rows(Dataset::range(10).batch(3).rebatch(2)), (Batches{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}}));
  EXPECT_EQ(rows(Dataset::range(5).batch(2).rebatch(7)), (Batches{{0, 1, 2, 3, 4}}));
  EXPECT_TRUE(drain(Dataset::range(5).batch(2).rebatch(7, true)).empty());
  EXPECT_EQ(Dataset::range(10).batch(3).rebatch(4).cardinality(), kUnknownCardinality);
  EXPECT_EQ(Dataset::range(3).batch(3).repeat().rebatch(4).cardinality(), kInfiniteCardinality);
}

TEST(Rebatch, ComponentsMustAgreePastAxisZero) {
  auto slices = [](std::int64_t width) {
    return Dataset::from_tensor_slices(Element{Tensor::zeros(Shape{1, 2, width}, DType::kF32)});
  };
  expect_error<InvalidArgument>([&] { drain(slices(3).concatenate(slices(4)).rebatch(3)); },
                                "rebatch: component 0 of batch #1 is f32[1, 4] but batch #0 has f32[2, 3]");
  expect_error<InvalidArgument>([&] { Dataset::range(4).rebatch(0); }, "rebatch: batch_size must be >= 1, got 0");
}

TEST(Rebatch, ResumesExactlyWithPendingRowsAfterShuffleAndParallelMap) {
  auto input = Dataset::range(23)
                   .shuffle(ShuffleOptions().buffer_size(5).seed(4))
                   .map([](Element e) { return e; }, MapOptions().parallelism(2))
                   .batch(5);
  for (std::int64_t size : {3, 7}) {
    auto ds = input.rebatch(size);
    EXPECT_EQ(static_cast<std::int64_t>(drain(ds).size()), (23 + size - 1) / size);
    expect_resumes_exactly(ds, all_cuts(ds));
  }
}

}  // namespace
}  // namespace spool::data
