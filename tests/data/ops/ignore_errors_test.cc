#include <gtest/gtest.h>

#include <stdexcept>

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

// Throws for elements that are multiples of 4 (a spool error) or 7 (a std one).
Element fragile(Element e) {
  const std::int64_t v = e[0].item<std::int64_t>();
  if (v % 4 == 3) SPOOL_THROW(DataLossError, "corrupt ", v);
  if (v % 7 == 6) throw std::runtime_error("not spool's");
  return e;
}

TEST(IgnoreErrors, DropsFailedElementsAndCountsThem) {
  auto ds = Dataset::range(14).map(fragile, MapOptions().parallelism(2)).ignore_errors();
  EXPECT_EQ(ds.cardinality(), kUnknownCardinality);
  Iterator it = ds.make_iterator();
  EXPECT_EQ(scalars(drain(it)), (std::vector<std::int64_t>{0, 1, 2, 4, 5, 8, 9, 10, 12}));
  const PipelineStats stats = it.stats();
  ASSERT_EQ(stats.stages.back().name, "ignore_errors");
  EXPECT_EQ(stats.stages.back().skipped_errors, 5);  // 3, 6, 7, 11, 13
  EXPECT_EQ(stats.stages.back().elements, 9);
}

TEST(IgnoreErrors, PassesCancellationOn) {
  auto ds = Dataset::range(5)
                .map([](Element e) {
                  if (e[0].item<std::int64_t>() == 2) SPOOL_THROW(Cancelled, "shutting down");
                  return e;
                })
                .ignore_errors();
  Iterator it = ds.make_iterator();
  EXPECT_EQ(scalars(drain(it, 2)), (std::vector<std::int64_t>{0, 1}));
  expect_error<Cancelled>([&] { it.next(); }, "shutting down");
}

TEST(IgnoreErrors, ResumesExactlyWithShuffleAndParallelMap) {
  auto ds = Dataset::range(40)
                .shuffle(ShuffleOptions().buffer_size(6).seed(10))
                .map(fragile, MapOptions().parallelism(2))
                .ignore_errors()
                .batch(3);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
