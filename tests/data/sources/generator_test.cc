#include <gtest/gtest.h>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"

namespace spool::data {
namespace {

// Counts 0..n-1, and records how often the factory ran.
Dataset counting(std::int64_t n, int* factory_calls) {
  return Dataset::from_generator(
      [n, factory_calls] {
        ++*factory_calls;
        return [n, i = std::int64_t{0}]() mutable -> std::optional<Element> {
          if (i == n) return std::nullopt;
          return Element{Tensor::scalar<std::int64_t>(i++)};
        };
      },
      n);
}

TEST(FromGenerator, CallsTheFactoryPerPassAndKnowsTheGivenCardinality) {
  int calls = 0;
  auto ds = counting(5, &calls);
  EXPECT_EQ(ds.cardinality(), 5);
  EXPECT_EQ(spool::testing::scalars(ds.repeat(2)), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
  EXPECT_EQ(calls, 2);
}

TEST(FromGenerator, ResumesByReplayingTheGenerator) {
  int calls = 0;
  auto ds = counting(9, &calls).batch(2);
  spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
}

TEST(FromGenerator, ResumingPastTheEndOfAShorterGeneratorIsAnError) {
  int calls = 0;
  Iterator it = counting(6, &calls).make_iterator();
  spool::testing::drain(it, 4);
  IteratorState state = it.save();
  EXPECT_THROW(counting(2, &calls).make_iterator(state), InvalidArgument);
}

}  // namespace
}  // namespace spool::data
