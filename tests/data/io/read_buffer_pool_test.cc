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
  held.clear();  // four come back; two are kept
  std::vector<std::shared_ptr<Storage>> again = {pool->take(1024), pool->take(1024), pool->take(1024)};
  int recycled = 0;
  for (const auto& s : again) recycled += std::count(addresses.begin(), addresses.end(), s->data()) > 0;
  EXPECT_EQ(recycled, 2);
  std::shared_ptr<Storage> big = pool->take(5000);  // a record larger than the buffer
  EXPECT_EQ(big->size(), 5000u);
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
