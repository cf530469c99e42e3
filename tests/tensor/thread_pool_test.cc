#include "spool/tensor/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "spool/tensor/error.h"

namespace spool {
namespace {

class ThreadPoolTest : public ::testing::Test {
 protected:
  void TearDown() override { set_num_threads(saved_); }
  int saved_ = num_threads();
};

TEST_F(ThreadPoolTest, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    set_num_threads(threads);
    for (std::int64_t n : {0, 1, 7, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
      parallel_for(n, 10, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) hits[static_cast<std::size_t>(i)]++;
      });
      for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)], 1) << n << " " << i;
    }
  }
}

TEST_F(ThreadPoolTest, RunsChunksOnSeveralThreadsWithAFixedCut) {
  set_num_threads(3);
  EXPECT_EQ(parallel_chunks(300, 10), 3);
  EXPECT_EQ(parallel_chunks(15, 10), 1);
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::set<std::pair<std::int64_t, std::int64_t>> ranges;
  parallel_for(300, 10, [&](std::int64_t b, std::int64_t e) {
    std::lock_guard<std::mutex> lock(mu);
    ids.insert(std::this_thread::get_id());
    ranges.insert({b, e});
  });
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ranges, (std::set<std::pair<std::int64_t, std::int64_t>>{{0, 100}, {100, 200}, {200, 300}}));
}

TEST_F(ThreadPoolTest, SmallProblemsAndNestedCallsStayOnTheCaller) {
  set_num_threads(4);
  const auto caller = std::this_thread::get_id();
  std::thread::id seen;
  parallel_for(5, 10, [&](std::int64_t, std::int64_t) { seen = std::this_thread::get_id(); });
  EXPECT_EQ(seen, caller);
  std::atomic<int> inner_chunks{0};
  parallel_for(400, 10, [&](std::int64_t, std::int64_t) {
    parallel_for(400, 10, [&](std::int64_t b, std::int64_t e) {
      EXPECT_EQ(b, 0);
      EXPECT_EQ(e, 400);
      inner_chunks++;
    });
  });
  EXPECT_EQ(inner_chunks, 4);
}

TEST_F(ThreadPoolTest, ExceptionFromAWorkerReachesTheCaller) {
  set_num_threads(2);
  EXPECT_THROW(parallel_for(100, 10,
                            [&](std::int64_t b, std::int64_t) {
                              if (b != 0) throw std::runtime_error("chunk failed");
                            }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<std::int64_t> sum{0};
  parallel_for(100, 10, [&](std::int64_t b, std::int64_t e) { sum += e - b; });
  EXPECT_EQ(sum, 100);
}

TEST_F(ThreadPoolTest, RejectsBadThreadCounts) {
  EXPECT_THROW(set_num_threads(0), InvalidArgument);
}

}  // namespace
}  // namespace spool
