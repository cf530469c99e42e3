// The per-thread reuse of recently freed large blocks behind Storage::allocate.
#include "spool/tensor/recent_blocks.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "spool/tensor/tensor.h"

namespace spool {
namespace {

TEST(RecentBlocks, ABatchFreedIsTheNextBatchOfItsSizeOnTheSameThread) {
  const void* first = nullptr;
  {
    const Tensor batch = Tensor::empty(Shape{32, 28, 28}, DType::kF32);
    first = batch.raw_data();
  }
  const Tensor next = Tensor::empty(Shape{32, 28, 28}, DType::kF32);
  EXPECT_EQ(next.raw_data(), first);
  // Another size does not take it.
  const Tensor other = Tensor::empty(Shape{31, 28, 28}, DType::kF32);
  EXPECT_NE(other.raw_data(), first);
}

TEST(RecentBlocks, KeepsMidSizedBlocksAndHandsBackTheNewestOfASize) {
  constexpr std::size_t kSize = 64 << 10;
  EXPECT_FALSE(detail::keep_recent_block(nullptr, 1024));        // small: the allocator's size classes
  EXPECT_FALSE(detail::keep_recent_block(nullptr, 64u << 20));   // large: outgrows the caches
  void* a = std::malloc(kSize);
  void* b = std::malloc(kSize);
  ASSERT_TRUE(detail::keep_recent_block(a, kSize));
  ASSERT_TRUE(detail::keep_recent_block(b, kSize));
  EXPECT_EQ(detail::take_recent_block(kSize + 1), nullptr);
  EXPECT_EQ(detail::take_recent_block(kSize), b);
  EXPECT_EQ(detail::take_recent_block(kSize), a);
  EXPECT_EQ(detail::take_recent_block(kSize), nullptr);
  std::free(a);
  std::free(b);
}

TEST(RecentBlocks, KeepsAFewAndFreesTheOldest) {
  constexpr std::size_t kSize = 32 << 10;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(detail::keep_recent_block(std::malloc(kSize), kSize));
  // The oldest were freed to make room (ASan's leak check would see them otherwise).
  int kept = 0;
  while (void* block = detail::take_recent_block(kSize)) {
    std::free(block);
    ++kept;
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 20);
}

TEST(RecentBlocks, EachThreadKeepsItsOwn) {
  constexpr std::size_t kSize = 48 << 10;
  void* mine = std::malloc(kSize);
  ASSERT_TRUE(detail::keep_recent_block(mine, kSize));
  std::thread([&] { EXPECT_EQ(detail::take_recent_block(kSize), nullptr); }).join();
  EXPECT_EQ(detail::take_recent_block(kSize), mine);
  std::free(mine);
}

}  // namespace
}  // namespace spool
