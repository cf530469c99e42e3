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

using Windows = std::vector<std::vector<std::int64_t>>;

TEST(Window, ShiftStartsAWindowEveryShiftElements) {
  auto ds = Dataset::range(7).window(3, WindowOptions().shift(2));
  EXPECT_EQ(ds.cardinality(), 4);
  EXPECT_EQ(rows(ds), (Windows{{0, 1, 2}, {2, 3, 4}, {4, 5, 6}, {6}}));
  auto full = Dataset::range(7).window(3, WindowOptions().shift(2).drop_remainder(true));
  EXPECT_EQ(full.cardinality(), 3);
  EXPECT_EQ(rows(full), (Windows{{0, 1, 2}, {2, 3, 4}, {4, 5, 6}}));
}

TEST(Window, DefaultShiftIsSizeAndStrideSpreadsAWindow) {
  EXPECT_EQ(rows(Dataset::range(5).window(2)), (Windows{{0, 1}, {2, 3}, {4}}));
  auto strided = Dataset::range(8).window(3, WindowOptions().shift(1).stride(2));
  EXPECT_EQ(strided.cardinality(), 8);
  EXPECT_EQ(rows(strided), (Windows{{0, 2, 4}, {1, 3, 5}, {2, 4, 6}, {3, 5, 7}, {4, 6}, {5, 7}, {6}, {7}}));
  auto strided_full = Dataset::range(8).window(3, WindowOptions().shift(1).stride(2).drop_remainder(true));
  EXPECT_EQ(strided_full.cardinality(), 4);
  EXPECT_EQ(rows(strided_full), (Windows{{0, 2, 4}, {1, 3, 5}, {2, 4, 6}, {3, 5, 7}}));
}

TEST(Window, ShiftLargerThanTheWindowSkipsElements) {
  auto ds = Dataset::range(11).window(2, WindowOptions().shift(5));
  EXPECT_EQ(ds.cardinality(), 3);
  EXPECT_EQ(rows(ds), (Windows{{0, 1}, {5, 6}, {10}}));
  EXPECT_EQ(Dataset::range(3).repeat().window(2).cardinality(), kInfiniteCardinality);
}

TEST(Window, StacksEveryComponentAndKeepsNames) {
  auto ds = Dataset::from_tensor_slices(Element({Tensor::arange(0, 8, 1, DType::kF32).reshape({4, 2}),
                                                 Tensor::from_vector<std::int64_t>({1, 2, 3, 4})},
                                                {"x", "y"}))
                .window(2, WindowOptions().shift(1).drop_remainder(true));
  auto elements = drain(ds);
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(elements[1]["x"].shape(), (Shape{2, 2}));
  EXPECT_EQ(elements[1]["x"].to_vector<float>(), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(elements[1]["y"].to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 3}));
}

TEST(Window, BadOptionsAreRefusedWithTheirValues) {
  expect_error<InvalidArgument>([&] { WindowOptions().shift(0); }, "window: shift must be >= 1, got 0");
  EXPECT_THROW(WindowOptions().stride(-2), InvalidArgument);
  expect_error<InvalidArgument>([&] { Dataset::range(3).window(0); }, "window: size must be >= 1, got 0");
}

TEST(Window, ResumesExactlyWithShuffleAndParallelMap) {
  auto input = Dataset::range(23)
                   .shuffle(ShuffleOptions().buffer_size(5).seed(6))
                   .map([](Element e) { return e; }, MapOptions().parallelism(2));
  for (const WindowOptions& options : {WindowOptions().shift(2), WindowOptions().shift(7).stride(2),
                                       WindowOptions().shift(1).stride(3).drop_remainder(true)}) {
    auto ds = input.window(4, options);
    EXPECT_EQ(static_cast<std::int64_t>(drain(ds).size()), ds.cardinality());
    expect_resumes_exactly(ds, all_cuts(ds));
  }
}

}  // namespace
}  // namespace spool::data
