// run_ordered (tools/ordered_parallel.h): results reach consume in index order even
// when workers finish out of order; a produce error is rethrown at its index, after
// every earlier item and before any later one; workers never run more than `window`
// items ahead of consume.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tools/ordered_parallel.h"

namespace spool::cli {
namespace {

// Item i sleeps longer the smaller i is, so later items finish first.
std::string slow_first(std::int64_t i, std::int64_t n) {
  std::this_thread::sleep_for(std::chrono::microseconds(200 * (n - i)));
  return std::to_string(i);
}

TEST(OrderedParallelTest, ConsumesInIndexOrderWhateverFinishesFirst) {
  constexpr std::int64_t kN = 40;
  for (int threads : {1, 2, 4}) {
    std::vector<std::string> seen;
    run_ordered<std::string>(
        kN, threads, 8, [&](std::int64_t i) { return slow_first(i, kN); },
        [&](std::int64_t i, std::string&& s) {
          EXPECT_EQ(s, std::to_string(i));
          seen.push_back(std::move(s));
        });
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(kN)) << threads;
    for (std::int64_t i = 0; i < kN; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], std::to_string(i));
  }
}

TEST(OrderedParallelTest, AProduceErrorArrivesAtItsIndex) {
  constexpr std::int64_t kN = 30;
  std::vector<std::int64_t> consumed;
  EXPECT_THROW(run_ordered<std::string>(
                   kN, 3, 6,
                   [&](std::int64_t i) {
                     if (i == 5) throw std::runtime_error("item 5");
                     return slow_first(i, kN);
                   },
                   [&](std::int64_t i, std::string&&) { consumed.push_back(i); }),
               std::runtime_error);
  EXPECT_EQ(consumed, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
}

TEST(OrderedParallelTest, WorkersStayWithinTheWindow) {
  constexpr std::int64_t kN = 200;
  constexpr std::int64_t kWindow = 5;
  std::atomic<std::int64_t> consumed{0};
  std::atomic<std::int64_t> worst{0};
  run_ordered<std::int64_t>(
      kN, 4, kWindow,
      [&](std::int64_t i) {
        const std::int64_t ahead = i - consumed.load();
        std::int64_t w = worst.load();
        while (ahead > w && !worst.compare_exchange_weak(w, ahead)) {
        }
        return i;
      },
      [&](std::int64_t i, std::int64_t&&) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        consumed.store(i + 1);
      });
  EXPECT_EQ(consumed.load(), kN);
  EXPECT_LE(worst.load(), kWindow);  // its count of consumed items can lag run_ordered's by one
}

}  // namespace
}  // namespace spool::cli
