#include "spool/data/io/read_buffer_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace spool::data::detail {
namespace {

TEST(ReadBufferPool, TakesBackABufferOnceItsLastUserIsGone) {
  auto pool = ReadBufferPool::make(4096);
  std::shared_ptr<Storage> a = pool->take(4096);
  const std::byte* first = a->data();
  std::memset(a->data(), 7, 4096);
  std::shared_ptr<Storage> user = a;  // a record viewing it
  a.reset();
  std::shared_ptr<Storage> b = pool->take(4096);  // the first is still in use
  EXPECT_NE(b->data(), first);
  user.reset();
  // Kept by the pool, not freed: a plain allocation of the same size cannot get it.
  std::shared_ptr<Storage> other = Storage::allocate(4096);
  EXPECT_NE(other->data(), first);
  std::shared_ptr<Storage> c = pool->take(4096);
  EXPECT_EQ(c->data(), first);
  EXPECT_EQ(c->size(), 4096u);
}

TEST(ReadBufferPool, KeepsAtMostMaxSpareAndServesOtherSizesAlone) {
  auto pool = ReadBufferPool::make(1024, /*max_spare=*/2);
  std::vector<std::shared_ptr<Storage>> held;
  std::vector<const std::byte*> addresses;
  for (int i = 0; i < 4; ++i) {
    held.push_back(pool->take(1024));
    addresses.push_back(held.back()->data());
  }
  EXPECT_EQ(pool->spare_count(), 0u);
  held.clear();  // four come back; two are kept, two freed
  EXPECT_EQ(pool->spare_count(), 2u);
  // The two kept ones are served first. (The third is a fresh allocation, which malloc
  // may place at a freed buffer's address, so addresses alone cannot tell it apart.)
  std::shared_ptr<Storage> first = pool->take(1024);
  std::shared_ptr<Storage> second = pool->take(1024);
  EXPECT_EQ(pool->spare_count(), 0u);
  EXPECT_NE(std::find(addresses.begin(), addresses.end(), first->data()), addresses.end());
  EXPECT_NE(std::find(addresses.begin(), addresses.end(), second->data()), addresses.end());
  std::shared_ptr<Storage> third = pool->take(1024);
  EXPECT_EQ(third->size(), 1024u);
  std::shared_ptr<Storage> big = pool->take(5000);  // a record larger than the buffer
  EXPECT_EQ(big->size(), 5000u);
  big.reset();  // not the pooled size: freed, never kept
  EXPECT_EQ(pool->spare_count(), 0u);
  third.reset();
  EXPECT_EQ(pool->spare_count(), 1u);
}

TEST(ReadBufferPool, BuffersMayOutliveThePoolsOwner) {
  std::shared_ptr<Storage> survivor;
  {
    auto pool = ReadBufferPool::make(256);
    survivor = pool->take(256);
    std::memset(survivor->data(), 1, 256);
  }
  EXPECT_EQ(static_cast<int>(survivor->data()[255]), 1);
  survivor.reset();  // returns to a pool only the buffer kept alive; freed with it (ASan checks)
}

}  // namespace
}  // namespace spool::data::detail
