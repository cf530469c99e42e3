#include <gtest/gtest.h>

#include <algorithm>

#include "data/ops/ops_test_util.h"
#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"

namespace spool::data {
namespace {

using spool::testing::all_cuts;
using spool::testing::expect_error;
using spool::testing::expect_resumes_exactly;
using spool::testing::scalars;

TEST(Shard, KeepsEveryNumShardsThElementFromIndex) {
  EXPECT_EQ(scalars(Dataset::range(10).shard(3, 0)), (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(scalars(Dataset::range(10).shard(3, 2)), (std::vector<std::int64_t>{2, 5, 8}));
  EXPECT_EQ(scalars(Dataset::range(4).shard(1, 0)), (std::vector<std::int64_t>{0, 1, 2, 3}));
}

TEST(Shard, CardinalityCountsTheShardsShareOfTheRemainder) {
  EXPECT_EQ(Dataset::range(10).shard(3, 0).cardinality(), 4);
  EXPECT_EQ(Dataset::range(10).shard(3, 1).cardinality(), 3);
  EXPECT_EQ(Dataset::range(10).shard(3, 2).cardinality(), 3);
  EXPECT_EQ(Dataset::range(2).shard(4, 3).cardinality(), 0);
  EXPECT_EQ(Dataset::range(2).repeat().shard(4, 3).cardinality(), kInfiniteCardinality);
}

TEST(Shard, ShardsTogetherHoldEveryElementOnce) {
  for (std::int64_t n : {1, 2, 3, 7, 13, 20}) {
    std::vector<std::int64_t> all;
    for (std::int64_t i = 0; i < n; ++i) {
      auto shard = Dataset::range(13).shard(n, i);
      std::vector<std::int64_t> got = scalars(shard);
      EXPECT_EQ(static_cast<std::int64_t>(got.size()), shard.cardinality()) << n << " shards, shard " << i;
      all.insert(all.end(), got.begin(), got.end());
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(all, scalars(Dataset::range(13))) << n << " shards";
  }
}

TEST(Shard, BeforeShuffleAndRepeatEachEpochIsAPermutationOfTheShard) {
  const std::int64_t shards = 3, epochs = 4;
  for (std::int64_t i = 0; i < shards; ++i) {
    const std::vector<std::int64_t> own = scalars(Dataset::range(20).shard(shards, i));
    auto ds = Dataset::range(20).shard(shards, i).shuffle(ShuffleOptions().buffer_size(4).seed(9)).repeat(epochs);
    const std::vector<std::int64_t> got = scalars(ds);
    ASSERT_EQ(got.size(), own.size() * epochs);
    std::vector<std::vector<std::int64_t>> orders;
    for (std::int64_t e = 0; e < epochs; ++e) {
      std::vector<std::int64_t> epoch(got.begin() + e * static_cast<std::int64_t>(own.size()),
                                      got.begin() + (e + 1) * static_cast<std::int64_t>(own.size()));
      orders.push_back(epoch);
      std::sort(epoch.begin(), epoch.end());
      EXPECT_EQ(epoch, own) << "shard " << i << " epoch " << e;
    }
    EXPECT_NE(orders[0], orders[1]) << "shard " << i << " reshuffles";
  }
}

TEST(Shard, BadArgumentsAreRefusedWithTheirValues) {
  expect_error<InvalidArgument>([&] { Dataset::range(10).shard(3, 3); }, "shard: index 3 out of range [0, 3)");
  expect_error<InvalidArgument>([&] { Dataset::range(10).shard(0, 0); }, "shard: num_shards must be >= 1, got 0");
  EXPECT_THROW(Dataset::range(10).shard(2, -1), InvalidArgument);
}

TEST(Shard, ResumesExactlyAfterParallelMapAndBeforeShuffle) {
  auto ds = Dataset::range(40)
                .map([](Element e) { return e; }, MapOptions().parallelism(2))
                .shard(3, 1)
                .shuffle(ShuffleOptions().buffer_size(5).seed(4))
                .repeat(2);
  EXPECT_EQ(ds.cardinality(), 26);
  expect_resumes_exactly(ds, all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
