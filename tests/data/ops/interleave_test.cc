#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

using spool::testing::all_cuts;
using spool::testing::drain;
using spool::testing::expect_resumes_exactly;
using spool::testing::scalars;

std::int64_t value(const Element& e) { return e[0].item<std::int64_t>(); }

// tf.data's loop over plain vectors: the independent reference the stage must match.
std::vector<std::int64_t> reference_interleave(const std::vector<std::vector<std::int64_t>>& inners,
                                               std::size_t cycle_length, std::size_t block_length) {
  std::vector<std::int64_t> out;
  std::vector<const std::vector<std::int64_t>*> open(cycle_length, nullptr);
  std::vector<std::size_t> pos(cycle_length, 0);
  std::size_t next_input = 0, cycle = 0, block = 0, num_open = 0;
  while (next_input < inners.size() || num_open > 0) {
    if (open[cycle]) {
      if (pos[cycle] < open[cycle]->size()) {
        out.push_back((*open[cycle])[pos[cycle]++]);
        if (++block == block_length) block = 0, cycle = (cycle + 1) % cycle_length;
        continue;
      }
      open[cycle] = nullptr;
      --num_open;
      block = 0, cycle = (cycle + 1) % cycle_length;
    } else if (next_input < inners.size()) {
      open[cycle] = &inners[next_input++];
      pos[cycle] = 0;
      ++num_open;
    } else {
      block = 0, cycle = (cycle + 1) % cycle_length;
    }
  }
  return out;
}

// Input element x opens range(10x, 10x + x % 4): lengths 0..3, some empty.
Dataset uneven(std::int64_t n, InterleaveOptions options) {
  return Dataset::range(n).interleave(
      [](const Element& e) { return Dataset::range(10 * value(e), 10 * value(e) + value(e) % 4); }, options);
}

std::vector<std::vector<std::int64_t>> uneven_inners(std::int64_t n) {
  std::vector<std::vector<std::int64_t>> inners;
  for (std::int64_t x = 0; x < n; ++x) {
    inners.emplace_back();
    for (std::int64_t v = 10 * x; v < 10 * x + x % 4; ++v) inners.back().push_back(v);
  }
  return inners;
}

TEST(Interleave, TfDocExampleForEveryParallelism) {
  const std::vector<std::int64_t> expected = {1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3,
                                              3, 4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5};
  for (std::int64_t parallelism : {std::int64_t{1}, std::int64_t{2}, kAutotune}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    auto ds = Dataset::range(1, 6).interleave(
        [](const Element& e) {
          return Dataset::from_tensor_slices(Element{Tensor::full({6}, static_cast<double>(value(e)), DType::kI64)});
        },
        InterleaveOptions().cycle_length(2).block_length(4).parallelism(parallelism));
    EXPECT_EQ(scalars(ds), expected);
    EXPECT_EQ(ds.cardinality(), kUnknownCardinality);
  }
}

TEST(Interleave, MatchesTheReferenceForManyShapes) {
  for (std::int64_t cycle : {1, 2, 3, 5}) {
    for (std::int64_t block : {1, 2, 3}) {
      for (std::int64_t parallelism : {1, 2, 4}) {
        SCOPED_TRACE(::testing::Message() << "cycle " << cycle << " block " << block << " parallelism " << parallelism);
        auto ds = uneven(13, InterleaveOptions().cycle_length(cycle).block_length(block).parallelism(parallelism));
        EXPECT_EQ(scalars(ds), reference_interleave(uneven_inners(13), static_cast<std::size_t>(cycle),
                                                    static_cast<std::size_t>(block)));
      }
    }
  }
}

TEST(Interleave, EmptyInputAndEmptyInnerDatasets) {
  auto none = Dataset::range(0).interleave([](const Element&) { return Dataset::range(3); },
                                           InterleaveOptions().cycle_length(2).parallelism(2));
  EXPECT_TRUE(scalars(none).empty());
  auto empties = Dataset::range(5).interleave([](const Element&) { return Dataset::range(0); },
                                              InterleaveOptions().cycle_length(2).parallelism(2));
  EXPECT_TRUE(scalars(empties).empty());
}

// Slot 0's dataset is slow, so workers finish the other slots' elements first.
Dataset slow_first(InterleaveOptions options) {
  return Dataset::range(4).interleave(
      [](const Element& e) {
        const bool slow = value(e) == 0;
        return Dataset::range(10 * value(e), 10 * value(e) + 5).map([slow](Element x) {
          if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return x;
        });
      },
      options);
}

TEST(Interleave, OrderHoldsWhenWorkersFinishOutOfOrder) {
  const auto options = InterleaveOptions().cycle_length(4).block_length(2);
  const auto expected = scalars(slow_first(InterleaveOptions(options).parallelism(1)));
  EXPECT_EQ(scalars(slow_first(InterleaveOptions(options).parallelism(4))), expected);
  auto unordered = scalars(slow_first(InterleaveOptions(options).parallelism(4).deterministic(false)));
  auto sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  std::sort(unordered.begin(), unordered.end());
  EXPECT_EQ(unordered, sorted);
}

// Input x opens range(10x, 10x + 3); element 21 fails. Per tf.data, an error does not
// move the cycle: the same slot gives 22 next.
std::vector<std::string> with_errors(Dataset ds) {
  std::vector<std::string> out;
  Iterator it = ds.make_iterator();
  for (;;) {
    try {
      std::optional<Element> e = it.next();
      if (!e) return out;
      out.push_back(std::to_string(value(*e)));
    } catch (const DataLossError& err) {
      out.push_back(std::string("E:") + err.what());
    }
  }
}

TEST(Interleave, InnerErrorsArriveInOrder) {
  for (std::int64_t parallelism : {1, 3}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    auto ds = Dataset::range(1, 4).interleave(
        [](const Element& e) {
          return Dataset::range(10 * value(e), 10 * value(e) + 3).map([](Element x) {
            SPOOL_CHECK(value(x) != 21, DataLossError, "bad ", value(x));
            return x;
          });
        },
        InterleaveOptions().cycle_length(2).parallelism(parallelism));
    EXPECT_EQ(with_errors(ds), (std::vector<std::string>{"10", "20", "11", "E:map: element #1: bad 21", "22", "12",
                                                         "30", "31", "32"}));
  }
}

TEST(Interleave, FunctionErrorsArriveInOrderAndSkipTheirElement) {
  for (std::int64_t parallelism : {1, 2}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    auto ds = Dataset::range(1, 4).interleave(
        [](const Element& e) {
          SPOOL_CHECK(value(e) != 2, DataLossError, "no dataset for ", value(e));
          return Dataset::range(10 * value(e), 10 * value(e) + 2);
        },
        InterleaveOptions().cycle_length(2).parallelism(parallelism));
    // Slot 1 tries 2 (fails, consumed), then opens 3 on the next call.
    EXPECT_EQ(with_errors(ds), (std::vector<std::string>{"10", "E:interleave: element #1: no dataset for 2", "30",
                                                         "11", "31"}));
  }
}

// The input fails at element 3 (consumed); fn fails on 5 (consumed). With threads the
// slots are opened ahead, so both failures happen before the cycle reaches their
// slot: they must still arrive where the cycle would have met them.
Dataset failing_inputs(std::int64_t parallelism) {
  return Dataset::range(1, 8)
      .map([](Element e) {
        SPOOL_CHECK(value(e) != 3, DataLossError, "no input ", value(e));
        return e;
      })
      .interleave(
          [](const Element& e) {
            SPOOL_CHECK(value(e) != 5, DataLossError, "no dataset for ", value(e));
            return Dataset::range(10 * value(e), 10 * value(e) + 1 + value(e) % 3);
          },
          InterleaveOptions().cycle_length(3).parallelism(parallelism));
}

TEST(Interleave, ErrorsOfSlotsOpenedAheadArriveWhereTheCycleMeetsThem) {
  const std::vector<std::string> expected = with_errors(failing_inputs(1));
  ASSERT_EQ(std::count_if(expected.begin(), expected.end(), [](const std::string& s) { return s[0] == 'E'; }), 2);
  for (std::int64_t parallelism : {2, 3}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    EXPECT_EQ(with_errors(failing_inputs(parallelism)), expected);
  }
}

// Cut after every output (an error counts as one), resume from the state, with and
// without threads: the rest is the same, the errors included. A slot opened ahead
// whose error is not delivered yet is in the state.
TEST(Interleave, ResumesExactlyWithErrorsPendingInSlotsOpenedAhead) {
  const std::vector<std::string> expected = with_errors(failing_inputs(1));
  for (std::size_t cut = 0; cut <= expected.size(); ++cut) {
    for (std::int64_t resumed_parallelism : {1, 3}) {
      SCOPED_TRACE(::testing::Message() << "cut " << cut << " resumed with parallelism " << resumed_parallelism);
      Iterator it = failing_inputs(3).make_iterator();
      std::vector<std::string> got;
      while (got.size() < cut) {
        try {
          got.push_back(std::to_string(value(*it.next())));
        } catch (const DataLossError& err) {
          got.push_back(std::string("E:") + err.what());
        }
      }
      Iterator resumed = failing_inputs(resumed_parallelism).make_iterator(it.save());
      for (;;) {
        try {
          std::optional<Element> e = resumed.next();
          if (!e) break;
          got.push_back(std::to_string(value(*e)));
        } catch (const DataLossError& err) {
          got.push_back(std::string("E:") + err.what());
        }
      }
      EXPECT_EQ(got, expected);
    }
  }
}

TEST(Interleave, WithThreadsOpensEverySlotBeforeTheFirstElement) {
  for (std::int64_t parallelism : {std::int64_t{1}, std::int64_t{2}}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    auto opened = std::make_shared<std::atomic<int>>(0);
    auto ds = Dataset::range(6).interleave(
        [opened](const Element& e) {
          ++*opened;
          return Dataset::range(10 * value(e), 10 * value(e) + 2);
        },
        InterleaveOptions().cycle_length(4).parallelism(parallelism));
    Iterator it = ds.make_iterator();
    ASSERT_EQ(value(*it.next()), 0);
    // Without threads tf.data's loop opens a slot when it reaches it; with threads all
    // four are opened at once, so that their datasets are read in parallel.
    EXPECT_EQ(opened->load(), parallelism == 1 ? 1 : 4);
    drain(it);
    EXPECT_EQ(opened->load(), 6);
  }
}

// Parallelism 2 is the consumer and one worker. The worker takes slot 0 (the consumer
// is still in fn for slot 1) and is slow on its first element: the consumer, waiting
// for slot 0, reads slot 1 meanwhile instead of sleeping.
TEST(Interleave, TheConsumerReadsAnotherSlotWhileAWorkerHoldsItsOwn) {
  const std::thread::id consumer = std::this_thread::get_id();
  auto readers = std::make_shared<std::mutex>();
  auto read_by = std::make_shared<std::vector<std::pair<std::int64_t, std::thread::id>>>();
  auto ds = Dataset::range(2).interleave(
      [=](const Element& e) {
        const std::int64_t slot = value(e);
        if (slot == 1) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return Dataset::range(10 * slot, 10 * slot + 5).map([=](Element x) {
          const bool worker = std::this_thread::get_id() != consumer;
          if (worker && value(x) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
          std::lock_guard lock(*readers);
          read_by->emplace_back(value(x), std::this_thread::get_id());
          return x;
        });
      },
      InterleaveOptions().cycle_length(2).parallelism(2));
  EXPECT_EQ(scalars(ds), (std::vector<std::int64_t>{0, 10, 1, 11, 2, 12, 3, 13, 4, 14}));
  std::set<std::thread::id> threads;
  for (const auto& [v, id] : *read_by) {
    threads.insert(id);
    if (v == 0) {
      EXPECT_NE(id, consumer) << "the worker did not take slot 0 first";
    }
    if (v >= 10) {
      EXPECT_EQ(id, consumer) << "element " << v << " was read by a worker";
    }
  }
  EXPECT_EQ(threads.size(), 2u);  // the consumer and one worker
}

// Nothing read ahead and no worker on it: the consumer reads its slot itself.
TEST(Interleave, TheConsumerReadsItsOwnSlotWhenNoWorkerIsOnIt) {
  const std::thread::id consumer = std::this_thread::get_id();
  auto by_consumer = std::make_shared<std::atomic<int>>(0);
  auto ds = Dataset::range(4).interleave(
      [=](const Element& e) {
        return Dataset::range(10 * value(e), 10 * value(e) + 10).map([=](Element x) {
          if (std::this_thread::get_id() == consumer) ++*by_consumer;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return x;
        });
      },
      InterleaveOptions().cycle_length(4).parallelism(2));
  EXPECT_EQ(scalars(ds), reference_interleave(
                             [] {
                               std::vector<std::vector<std::int64_t>> inners(4);
                               for (std::int64_t x = 0; x < 4; ++x) {
                                 for (std::int64_t v = 10 * x; v < 10 * x + 10; ++v) inners[x].push_back(v);
                               }
                               return inners;
                             }(),
                             4, 1));
  // One worker cannot keep four slots of slow elements ahead of the consumer, which
  // reads a run (here a whole dataset) whenever it finds its slot empty and free.
  EXPECT_GE(by_consumer->load(), 10);
}

TEST(Interleave, ResumesExactlyAtEveryCut) {
  for (std::int64_t parallelism : {1, 3}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    auto ds = uneven(11, InterleaveOptions().cycle_length(3).block_length(2).parallelism(parallelism));
    expect_resumes_exactly(ds, all_cuts(ds));
  }
}

TEST(Interleave, ResumesExactlyWithThreadedInnerStagesAndRepeat) {
  auto ds = Dataset::range(5)
                .interleave(
                    [](const Element& e) {
                      return Dataset::range(value(e) * 100, value(e) * 100 + 4)
                          .map([](Element x) { return x; }, MapOptions().parallelism(2))
                          .prefetch(2);
                    },
                    InterleaveOptions().cycle_length(2).block_length(3).parallelism(2))
                .repeat(2);
  expect_resumes_exactly(ds, all_cuts(ds));
}

TEST(Interleave, StateFromThreadsResumesWithoutThem) {
  auto threaded = uneven(9, InterleaveOptions().cycle_length(3).block_length(2).parallelism(3));
  auto plain = uneven(9, InterleaveOptions().cycle_length(3).block_length(2).parallelism(1));
  const auto expected = scalars(plain);
  Iterator it = threaded.make_iterator();
  auto head = scalars(drain(it, 5));
  Iterator resumed = plain.make_iterator(it.save());
  auto tail = scalars(drain(resumed));
  head.insert(head.end(), tail.begin(), tail.end());
  EXPECT_EQ(head, expected);
  auto other_cycle = uneven(9, InterleaveOptions().cycle_length(2).block_length(2));
  EXPECT_THROW(other_cycle.make_iterator(it.save()), InvalidArgument);
}

TEST(Interleave, SmallByteBudgetStillCompletes) {
  auto ds = uneven(40, InterleaveOptions().cycle_length(4).block_length(3).parallelism(4))
                .with_options(Options().max_buffered_bytes(8));
  EXPECT_EQ(scalars(ds), reference_interleave(uneven_inners(40), 4, 3));
}

TEST(Interleave, DestroyingMidStreamReturnsPromptly) {
  std::atomic<std::int64_t> calls{0};
  auto ds = Dataset::range(100).interleave(
      [&calls](const Element&) {
        return Dataset::range(1'000'000'000).map([&calls](Element x) {
          ++calls;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return x;
        }, MapOptions().parallelism(2)).prefetch(4);
      },
      InterleaveOptions().cycle_length(4).block_length(2).parallelism(4));
  const auto start = std::chrono::steady_clock::now();
  {
    Iterator it = ds.make_iterator();
    EXPECT_EQ(drain(it, 10).size(), 10u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  const std::int64_t after = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls.load(), after);  // nothing runs on after the iterator is gone
}

TEST(Interleave, InnerStagesShowInTheStats) {
  auto ds = uneven(6, InterleaveOptions().cycle_length(2));
  Iterator it = ds.make_iterator();
  drain(it);
  const PipelineStats stats = it.stats();
  const auto has = [&](const std::string& name) {
    return std::any_of(stats.stages.begin(), stats.stages.end(), [&](const StageStats& s) { return s.name == name; });
  };
  EXPECT_TRUE(has("interleave"));
  EXPECT_GE(std::count_if(stats.stages.begin(), stats.stages.end(), [](const StageStats& s) { return s.name == "range"; }),
            2);
}

TEST(Interleave, RejectsBadOptions) {
  EXPECT_THROW(InterleaveOptions().cycle_length(0), InvalidArgument);
  EXPECT_THROW(InterleaveOptions().block_length(0), InvalidArgument);
  EXPECT_THROW(InterleaveOptions().parallelism(0), InvalidArgument);
  EXPECT_THROW(Dataset::range(3).interleave(nullptr), InvalidArgument);
}

}  // namespace
}  // namespace spool::data
