#include "spool/tensor/recent_blocks.h"

#include <array>
#include <cstdlib>

namespace spool::detail {
namespace {

// Smaller blocks come from the allocator's size classes, which reuse them anyway; a
// block larger than kLargest outgrows a core's cache, where reuse no longer pays for
// the memory kept (every thread keeps up to kMaxBytes).
constexpr std::size_t kSmallest = std::size_t{16} << 10;
constexpr std::size_t kLargest = std::size_t{1} << 20;
constexpr std::size_t kMaxBlocks = 8;
constexpr std::size_t kMaxBytes = std::size_t{4} << 20;

class RecentBlocks {
 public:
  ~RecentBlocks() {
    for (std::size_t i = 0; i < count_; ++i) std::free(blocks_[i].block);
    destroyed_ = true;
  }

  void* take(std::size_t bytes) {
    for (std::size_t i = count_; i-- > 0;) {
      if (blocks_[i].bytes != bytes) continue;
      void* block = blocks_[i].block;
      remove(i);
      return block;
    }
    return nullptr;
  }

  void keep(void* block, std::size_t bytes) {
    while (count_ == kMaxBlocks || bytes_ + bytes > kMaxBytes) {  // the oldest go
      std::free(blocks_[0].block);
      remove(0);
    }
    blocks_[count_++] = {block, bytes};
    bytes_ += bytes;
  }

  // A thread's storages freed by its later thread_local destructors go to the
  // allocator: this one may be gone by then (a bool stays readable).
  static inline thread_local bool destroyed_ = false;

 private:
  void remove(std::size_t i) {
    bytes_ -= blocks_[i].bytes;
    for (std::size_t j = i + 1; j < count_; ++j) blocks_[j - 1] = blocks_[j];
    --count_;
  }

  struct Entry {
    void* block;
    std::size_t bytes;
  };
  std::array<Entry, kMaxBlocks> blocks_{};
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

thread_local RecentBlocks recent;

}  // namespace

void* take_recent_block(std::size_t bytes) {
  if (bytes < kSmallest || bytes > kLargest || RecentBlocks::destroyed_) return nullptr;
  return recent.take(bytes);
}

bool keep_recent_block(void* block, std::size_t bytes) {
  if (bytes < kSmallest || bytes > kLargest || RecentBlocks::destroyed_) return false;
  recent.keep(block, bytes);
  return true;
}

}  // namespace spool::detail
