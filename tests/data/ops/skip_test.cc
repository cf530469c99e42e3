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

TEST(Skip, DropsTheFirstCountElements) {
  EXPECT_EQ(scalars(Dataset::range(6).skip(4)), (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(scalars(Dataset::range(3).skip(0)), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_TRUE(drain(Dataset::range(3).skip(5)).empty());
  EXPECT_TRUE(drain(Dataset::range(3).skip(-1)).empty());
}

TEST(Skip, CardinalityFollowsTfData) {
  EXPECT_EQ(Dataset::range(6).skip(4).cardinality(), 2);
  EXPECT_EQ(Dataset::range(3).skip(5).cardinality(), 0);
  EXPECT_EQ(Dataset::range(3).skip(-1).cardinality(), 0);
  EXPECT_EQ(Dataset::range(3).repeat().skip(2).cardinality(), kInfiniteCardinality);
  EXPECT_EQ(Dataset::range(3).filter([](const Element&) { return true; }).skip(2).cardinality(), kUnknownCardinality);
}

TEST(Skip, AnErrorWhileSkippingIsPassedOnAndCountsAsSkipped) {
  auto ds = Dataset::range(6)
                .map([](Element e) {
                  if (e[0].item<std::int64_t>() == 1) SPOOL_THROW(DataLossError, "bad 1");
                  return e;
                })
                .skip(3);
  Iterator it = ds.make_iterator();
  expect_error<DataLossError>([&] { it.next(); }, "map: element #1: bad 1");
  EXPECT_EQ(scalars(drain(it)), (std::vector<std::int64_t>{3, 4, 5}));
}

TEST(Skip, ResumesExactlyAfterShuffleAndParallelMap) {
  auto ds = Dataset::range(30)
                .shuffle(ShuffleOptions().buffer_size(6).seed(2))
                .map([](Element e) { return e; }, MapOptions().parallelism(2))
                .skip(7);
  EXPECT_EQ(drain(ds).size(), 23u);
  expect_resumes_exactly(ds, all_cuts(ds));
  // A cut before the skipping happened.
  expect_resumes_exactly(Dataset::range(10).skip(4).batch(3), all_cuts(Dataset::range(10).skip(4).batch(3)));
}

}  // namespace
}  // namespace spool::data
