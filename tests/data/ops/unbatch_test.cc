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

TEST(Unbatch, SplitsBatchesBackIntoElements) {
  auto ds = Dataset::range(7).batch(3).unbatch();
  EXPECT_EQ(scalars(ds), scalars(Dataset::range(7)));
  EXPECT_EQ(ds.cardinality(), kUnknownCardinality);
  EXPECT_EQ(Dataset::range(0).batch(3).unbatch().cardinality(), 0);
  EXPECT_EQ(Dataset::range(2).batch(2).repeat().unbatch().cardinality(), kInfiniteCardinality);
}

TEST(Unbatch, SplitsEveryComponentAndKeepsNames) {
  auto ds = Dataset::from_tensor_slices(Element({Tensor::arange(0, 12, 1, DType::kF32).reshape({2, 3, 2}),
                                                 Tensor::arange(0, 6).reshape({2, 3})},
                                                {"x", "y"}))
                .unbatch();
  auto elements = drain(ds);
  ASSERT_EQ(elements.size(), 6u);  // 3 rows of each of 2 batches
  EXPECT_EQ(elements[1]["x"].shape(), Shape{2});
  EXPECT_EQ(elements[1]["x"].to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_EQ(elements[4]["x"].shape(), Shape{2});
  EXPECT_EQ(elements[4]["x"].to_vector<float>(), (std::vector<float>{8, 9}));
  EXPECT_EQ(elements[4][1].item<std::int64_t>(), 4);
  EXPECT_EQ(elements[2].names(), (std::vector<std::string>{"x", "y"}));
}

TEST(Unbatch, RefusesScalarsAndRaggedComponents) {
  expect_error<InvalidArgument>([&] { drain(Dataset::range(3).unbatch()); },
                                "unbatch: component 0 must have rank >= 1 to be split along axis 0, got i64[]");
  auto ragged = Dataset::range(2).map([](Element) {
    return Element{Tensor::zeros(Shape{2}, DType::kI64), Tensor::zeros(Shape{3}, DType::kI64)};
  });
  EXPECT_THROW(drain(ragged.unbatch()), InvalidArgument);
}

TEST(Unbatch, ResumesExactlyInsideABatchWithShuffleAndParallelMap) {
  auto ds = Dataset::range(26)
                .shuffle(ShuffleOptions().buffer_size(6).seed(1))
                .map(
                    [](Element e) {
                      return Element{e[0], e[0].cast(DType::kF64)};
                    },
                    MapOptions().parallelism(2))
                .batch(4)
                .unbatch();
  EXPECT_EQ(drain(ds).size(), 26u);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
