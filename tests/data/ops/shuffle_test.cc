// shuffle across iterators: each new iterator of a dataset reshuffles (its iteration),
// reproducibly for a dataset built anew; reshuffle_each_iteration(false) keeps one
// order, seeded or not; iterations survive save and restore.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"

namespace spool::data {
namespace {

using spool::testing::drain;
using spool::testing::scalars;

using I64s = std::vector<std::int64_t>;

I64s iota(std::int64_t n) {
  I64s v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

Dataset shuffled(std::int64_t n = 40) { return Dataset::range(n).shuffle(ShuffleOptions().buffer_size(n).seed(11)); }

bool is_permutation_of_iota(I64s v) {
  const auto n = static_cast<std::int64_t>(v.size());
  std::sort(v.begin(), v.end());
  return v == iota(n);
}

TEST(Shuffle, EachNewIteratorReshufflesAndADatasetBuiltAnewRepeatsTheSequence) {
  const Dataset ds = shuffled();
  std::vector<I64s> passes;
  for (int k = 0; k < 3; ++k) passes.push_back(scalars(ds));
  for (const I64s& pass : passes) EXPECT_TRUE(is_permutation_of_iota(pass));
  EXPECT_NE(passes[0], iota(40));
  EXPECT_NE(passes[0], passes[1]);
  EXPECT_NE(passes[1], passes[2]);
  EXPECT_NE(passes[0], passes[2]);
  // The first iterator keeps the order a seed always gave: epoch 0 of a repeat.
  EXPECT_EQ(passes[0], scalars(drain(shuffled().repeat(2), 40)));
  // The count belongs to the shuffle stage: copies and datasets built on it share it.
  const Dataset again = shuffled();
  const Dataset copy = again;  // NOLINT(performance-unnecessary-copy-initialization): copies share the count
  EXPECT_EQ(scalars(again), passes[0]);
  EXPECT_EQ(scalars(copy), passes[1]);
  EXPECT_EQ(scalars(again.prefetch(2)), passes[2]);
}

TEST(Shuffle, EveryEpochOfEveryIteratorUnderRepeatIsANewOrder) {
  const Dataset ds = shuffled(30).repeat(2);
  const I64s first = scalars(ds), second = scalars(ds);
  ASSERT_EQ(first.size(), 60u);
  ASSERT_EQ(second.size(), 60u);
  const I64s epochs[] = {I64s(first.begin(), first.begin() + 30), I64s(first.begin() + 30, first.end()),
                         I64s(second.begin(), second.begin() + 30), I64s(second.begin() + 30, second.end())};
  for (int a = 0; a < 4; ++a) {
    EXPECT_TRUE(is_permutation_of_iota(epochs[a])) << "epoch " << a;
    for (int b = a + 1; b < 4; ++b) EXPECT_NE(epochs[a], epochs[b]) << "epochs " << a << " and " << b;
  }
}

TEST(Shuffle, IteratorsAliveAtOnceGetTheirOwnIterations) {
  const std::vector<I64s> expected = [] {
    const Dataset ds = shuffled();
    return std::vector<I64s>{scalars(ds), scalars(ds)};
  }();
  ASSERT_NE(expected[0], expected[1]);
  const Dataset ds = shuffled();
  Iterator first = ds.make_iterator();
  Iterator second = ds.make_iterator();
  const I64s second_pass = scalars(drain(second));  // iterated first, made second
  EXPECT_EQ(scalars(drain(first)), expected[0]);
  EXPECT_EQ(second_pass, expected[1]);
}

TEST(Shuffle, MakeIteratorAtPinsTheIterationAndTakesNoNumber) {
  const Dataset reference = shuffled();
  const I64s pass0 = scalars(reference), pass1 = scalars(reference);
  const Dataset ds = shuffled();
  Iterator pinned = ds.make_iterator_at(1);
  EXPECT_EQ(scalars(drain(pinned)), pass1);
  Iterator pinned_again = ds.make_iterator_at(1);  // replicas reading one order agree
  EXPECT_EQ(scalars(drain(pinned_again)), pass1);
  EXPECT_EQ(scalars(ds), pass0);  // the count did not move
}

TEST(Shuffle, UnseededWithoutReshuffleKeepsOneOrderForEveryEpochAndIterator) {
  const Dataset ds = Dataset::range(100).shuffle(ShuffleOptions().buffer_size(100).reshuffle_each_iteration(false));
  const I64s all = scalars(ds.repeat(3));
  ASSERT_EQ(all.size(), 300u);
  const I64s order(all.begin(), all.begin() + 100);
  EXPECT_TRUE(is_permutation_of_iota(order));
  EXPECT_NE(order, iota(100));
  EXPECT_TRUE(std::equal(order.begin(), order.end(), all.begin() + 100));
  EXPECT_TRUE(std::equal(order.begin(), order.end(), all.begin() + 200));
  EXPECT_EQ(scalars(ds), order);
  EXPECT_EQ(scalars(ds), order);
  // With a seed too, and a dataset built anew gives the same order.
  const auto fixed = [] {
    return Dataset::range(100).shuffle(ShuffleOptions().buffer_size(100).seed(4).reshuffle_each_iteration(false));
  };
  const Dataset seeded = fixed();
  const I64s seeded_order = scalars(seeded);
  EXPECT_EQ(scalars(seeded), seeded_order);
  EXPECT_EQ(scalars(fixed()), seeded_order);
}

TEST(Shuffle, UnseededReshufflingStillDiffersPerIterator) {
  const Dataset ds = Dataset::range(100).shuffle(100);
  EXPECT_NE(scalars(ds), scalars(ds));
}

// A run saved mid-way through its second iterator and resumed in a dataset built anew
// (a new process) continues that iterator's order, its later repeat epochs included, and
// the next iterator made has the order the saved run's next one would have had.
TEST(Shuffle, ARestoredIteratorKeepsItsIterationAndLaterIteratorsCountOn) {
  const auto build = [] { return shuffled(20).repeat(2); };
  const Dataset reference = build();
  const std::vector<I64s> passes{scalars(reference), scalars(reference), scalars(reference)};
  ASSERT_NE(passes[0], passes[1]);
  ASSERT_NE(passes[1], passes[2]);
  for (std::int64_t cut : {0, 7, 20, 33, 40}) {
    SCOPED_TRACE("cut after " + std::to_string(cut));
    const Dataset ds = build();
    drain(ds);  // iteration 0
    Iterator it = ds.make_iterator();
    const I64s head = scalars(drain(it, cut));
    const IteratorState state = IteratorState::from_bytes(it.save().bytes());
    const Dataset fresh = build();
    Iterator resumed = fresh.make_iterator(state);
    I64s whole = head;
    const I64s rest = scalars(drain(resumed));
    whole.insert(whole.end(), rest.begin(), rest.end());
    EXPECT_EQ(whole, passes[1]);
    EXPECT_EQ(scalars(fresh), passes[2]);
  }
}

TEST(Shuffle, ResumesExactlyInADatasetBuiltAnew) {
  const auto build = [] {
    return Dataset::range(30).shuffle(ShuffleOptions().buffer_size(8).seed(2)).repeat(2).prefetch(3);
  };
  spool::testing::expect_resumes_exactly(build, spool::testing::all_cuts(build()));
}

}  // namespace
}  // namespace spool::data
