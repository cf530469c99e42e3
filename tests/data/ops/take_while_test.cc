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

Predicate below(std::int64_t limit) {
  return [limit](const Element& e) { return e[0].item<std::int64_t>() < limit; };
}

TEST(TakeWhile, EndsAtTheFirstFalseAndStaysEnded) {
  auto ds =
      Dataset::from_tensor_slices(Element{Tensor::from_vector<std::int64_t>({1, 2, 7, 3, 1})}).take_while(below(5));
  EXPECT_EQ(ds.cardinality(), kUnknownCardinality);
  Iterator it = ds.make_iterator();
  EXPECT_EQ(scalars(drain(it)), (std::vector<std::int64_t>{1, 2}));
  EXPECT_FALSE(it.next().has_value());
  EXPECT_EQ(scalars(Dataset::range(4).take_while(below(100))), (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_TRUE(drain(Dataset::range(4).take_while(below(0))).empty());
  // An infinite input ends too.
  EXPECT_EQ(scalars(Dataset::range(3).repeat().take_while(below(2))), (std::vector<std::int64_t>{0, 1}));
}

TEST(TakeWhile, PredicateErrorNamesTheElement) {
  auto ds = Dataset::range(5).take_while([](const Element& e) {
    if (e[0].item<std::int64_t>() == 1) SPOOL_THROW(InvalidArgument, "no opinion on 1");
    return true;
  });
  Iterator it = ds.make_iterator();
  EXPECT_EQ(scalars(drain(it, 1)), (std::vector<std::int64_t>{0}));
  expect_error<InvalidArgument>([&] { it.next(); }, "take_while: element #1: no opinion on 1");
  EXPECT_EQ(scalars(drain(it)), (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_THROW(Dataset::range(3).take_while(nullptr), InvalidArgument);
}

TEST(TakeWhile, ResumesExactlyAfterShuffleAndParallelMap) {
  auto ds = Dataset::range(30)
                .shuffle(ShuffleOptions().buffer_size(5).seed(11))
                .map([](Element e) { return e; }, MapOptions().parallelism(2))
                .take_while(below(25));
  const std::vector<std::int64_t> got = scalars(ds);
  ASSERT_FALSE(got.empty());
  for (std::int64_t v : got) EXPECT_LT(v, 25);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
