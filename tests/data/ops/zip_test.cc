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

Dataset named(std::vector<std::int64_t> values, std::string name) {
  return Dataset::from_tensor_slices(Element({Tensor::from_vector<std::int64_t>(values)}, {std::move(name)}));
}

TEST(Zip, JoinsComponentsAndEndsWithTheShortest) {
  auto ds = Dataset::range(5).zip(Dataset::range(10, 13));
  EXPECT_EQ(ds.cardinality(), 3);
  auto elements = drain(ds);
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(scalars(elements, 0), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(scalars(elements, 1), (std::vector<std::int64_t>{10, 11, 12}));
  auto three = drain(Dataset::zip({Dataset::range(3), Dataset::range(3).map([](Element e) {
                                     return Element{e[0], e[0]};
                                   }),
                                   Dataset::range(5, 10)}));
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[2].size(), 4u);
  EXPECT_EQ(three[2][3].item<std::int64_t>(), 7);
}

TEST(Zip, CardinalityIsTheSmallestKnownOne) {
  EXPECT_EQ(Dataset::range(5).zip(Dataset::range(2).repeat()).cardinality(), 5);
  EXPECT_EQ(Dataset::range(5).repeat().zip(Dataset::range(2).repeat()).cardinality(), kInfiniteCardinality);
  EXPECT_EQ(Dataset::range(5).zip(Dataset::range(9).filter([](const Element&) { return true; })).cardinality(),
            kUnknownCardinality);
}

TEST(Zip, KeepsNamesOnlyWhenAllAreNamedAndDistinct) {
  auto both = drain(named({1, 2}, "a").zip(named({3, 4}, "b")));
  EXPECT_EQ(both[1].names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(both[1]["b"].item<std::int64_t>(), 4);
  EXPECT_FALSE(drain(named({1, 2}, "a").zip(named({3, 4}, "a")))[0].has_names());
  EXPECT_FALSE(drain(named({1, 2}, "a").zip(Dataset::range(2)))[0].has_names());
}

TEST(Zip, AnErrorKeepsTheInputsAligned) {
  auto failing = Dataset::range(4).map([](Element e) {
    if (e[0].item<std::int64_t>() == 1) SPOOL_THROW(DataLossError, "bad 1");
    return e;
  });
  Iterator it = Dataset::zip({failing, Dataset::range(100, 104)}).make_iterator();
  EXPECT_EQ((*it.next())[1].item<std::int64_t>(), 100);
  EXPECT_THROW(it.next(), DataLossError);
  auto rest = drain(it);
  EXPECT_EQ(scalars(rest, 0), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(scalars(rest, 1), (std::vector<std::int64_t>{102, 103}));
}

TEST(Zip, NoDatasetsIsRefused) {
  expect_error<InvalidArgument>([&] { Dataset::zip({}); }, "zip: needs at least one dataset, got none");
}

TEST(Zip, ResumesExactlyWithShuffleAndParallelMapInputs) {
  auto left = Dataset::range(30).shuffle(ShuffleOptions().buffer_size(7).seed(5));
  auto right = Dataset::range(25).map([](Element e) { return e; }, MapOptions().parallelism(2)).prefetch(3);
  auto ds = left.zip(right);
  EXPECT_EQ(ds.cardinality(), 25);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
