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

bool is_even(const Element& e) { return e[0].item<std::int64_t>() % 2 == 0; }

TEST(Filter, KeepsElementsWhosePredicateIsTrueAndHasUnknownCardinality) {
  EXPECT_EQ(scalars(Dataset::range(10).filter(is_even)), (std::vector<std::int64_t>{0, 2, 4, 6, 8}));
  EXPECT_EQ(Dataset::range(10).filter(is_even).cardinality(), kUnknownCardinality);
  EXPECT_TRUE(drain(Dataset::range(5).filter([](const Element&) { return false; })).empty());
  EXPECT_TRUE(drain(Dataset::range(0).filter(is_even)).empty());
}

TEST(Filter, PredicateErrorNamesTheElementAndTheStreamGoesOn) {
  auto ds = Dataset::range(6).filter([](const Element& e) {
    if (e[0].item<std::int64_t>() == 3) SPOOL_THROW(DataLossError, "cannot judge 3");
    return true;
  });
  Iterator it = ds.make_iterator();
  EXPECT_EQ(scalars(drain(it, 3)), (std::vector<std::int64_t>{0, 1, 2}));
  expect_error<DataLossError>([&] { it.next(); }, "filter: element #3: cannot judge 3");
  EXPECT_EQ(scalars(drain(it)), (std::vector<std::int64_t>{4, 5}));
}

TEST(Filter, EmptyPredicateIsRefused) {
  expect_error<InvalidArgument>([&] { Dataset::range(3).filter(nullptr); }, "filter: the predicate is empty");
}

TEST(Filter, ResumesExactlyAfterShuffleAndParallelMap) {
  auto ds = Dataset::range(40)
                .shuffle(ShuffleOptions().buffer_size(8).seed(7))
                .map([](Element e) { return e; }, MapOptions().parallelism(2))
                .filter([](const Element& e) { return e[0].item<std::int64_t>() % 3 != 0; });
  std::vector<std::int64_t> got = scalars(ds);
  EXPECT_EQ(got.size(), 26u);
  for (std::int64_t v : got) EXPECT_NE(v % 3, 0);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
