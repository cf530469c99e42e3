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

TEST(Enumerate, PrependsACounterFromStart) {
  auto ds = Dataset::range(10, 13).enumerate(5);
  EXPECT_EQ(ds.cardinality(), 3);
  auto elements = drain(ds);
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(scalars(elements, 0), (std::vector<std::int64_t>{5, 6, 7}));
  EXPECT_EQ(scalars(elements, 1), (std::vector<std::int64_t>{10, 11, 12}));
  EXPECT_EQ(elements[0][0].shape(), Shape{});
  EXPECT_FALSE(elements[0].has_names());
}

TEST(Enumerate, NamesTheCounterIndexWhenTheInputIsNamed) {
  auto ds = Dataset::from_tensor_slices(Element({Tensor::from_vector<std::int64_t>({4, 5})}, {"label"})).enumerate();
  auto elements = drain(ds);
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[1].names(), (std::vector<std::string>{"index", "label"}));
  EXPECT_EQ(elements[1]["index"].item<std::int64_t>(), 1);
  EXPECT_EQ(elements[1]["label"].item<std::int64_t>(), 5);

  auto clash = Dataset::from_tensor_slices(Element({Tensor::from_vector<std::int64_t>({4, 5})}, {"index"})).enumerate();
  expect_error<InvalidArgument>([&] { drain(clash); },
                                "enumerate: element #0 already has a component named 'index' (index: i64[])");
}

TEST(Enumerate, AnInputErrorTakesItsNumber) {
  auto ds = Dataset::range(4)
                .map([](Element e) {
                  if (e[0].item<std::int64_t>() == 1) SPOOL_THROW(DataLossError, "bad 1");
                  return e;
                })
                .enumerate();
  Iterator it = ds.make_iterator();
  EXPECT_EQ((*it.next())[0].item<std::int64_t>(), 0);
  EXPECT_THROW(it.next(), DataLossError);
  EXPECT_EQ(scalars(drain(it)), (std::vector<std::int64_t>{2, 3}));
}

TEST(Enumerate, ResumesExactlyAfterShuffleAndParallelMap) {
  auto ds = Dataset::range(25)
                .shuffle(ShuffleOptions().buffer_size(6).seed(3))
                .map([](Element e) { return e; }, MapOptions().parallelism(2))
                .enumerate(100)
                .repeat(2);
  std::vector<std::int64_t> counters = scalars(ds);
  EXPECT_EQ(counters.front(), 100);
  EXPECT_EQ(counters[25], 100);  // each pass counts anew
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
