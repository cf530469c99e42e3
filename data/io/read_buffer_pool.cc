#include "spool/data/io/read_buffer_pool.h"

#include <new>

namespace spool::data::detail {
namespace {

constexpr std::align_val_t kAlign{Storage::kAlignment};

}  // namespace

std::shared_ptr<ReadBufferPool> ReadBufferPool::make(std::size_t buffer_size, std::size_t max_spare) {
  return std::shared_ptr<ReadBufferPool>(new ReadBufferPool(buffer_size, max_spare));
}

ReadBufferPool::~ReadBufferPool() {
  for (void* buffer : spare_) ::operator delete(buffer, kAlign);
}

std::shared_ptr<Storage> ReadBufferPool::take(std::size_t bytes) {
  if (bytes != buffer_size_) return Storage::allocate(bytes);
  void* buffer = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!spare_.empty()) {
      buffer = spare_.back();
      spare_.pop_back();
    }
  }
  if (buffer == nullptr) buffer = ::operator new(buffer_size_, kAlign);
  // The deleter keeps the pool alive for as long as any of its buffers is.
  return Storage::wrap(buffer, buffer_size_, [pool = shared_from_this()](void* p) { pool->give_back(p); });
}

std::size_t ReadBufferPool::spare_count() {
  std::lock_guard lock(mu_);
  return spare_.size();
}

void ReadBufferPool::give_back(void* buffer) {
  {
    std::lock_guard lock(mu_);
    if (spare_.size() < max_spare_) {
      spare_.push_back(buffer);
      return;
    }
  }
  ::operator delete(buffer, kAlign);
}

}  // namespace spool::data::detail
