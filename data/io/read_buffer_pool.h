// Internal: recycles a streaming TFRecordReader's read buffers. Not part of the public API.
//
// Records view the buffer they were read into, so a reader whose buffer is still
// referenced must start a new one. A fresh 256 KiB allocation is fresh pages to fault
// in (with glibc's default settings, an mmap and an munmap each time): a batch of 256
// Fashion-MNIST records holds one buffer, so every refill paid that. Here a buffer whose
// last record is gone returns to its pool (its deleter runs on whichever thread drops
// it), and the next refill takes it back.
//
//   auto pool = ReadBufferPool::make(256 * 1024);
//   std::shared_ptr<Storage> buf = pool->take(256 * 1024);   // pooled size: recycled
//
// Thread-safety: take() and the buffers' deleters may run on any threads.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "spool/tensor/storage.h"

namespace spool::data::detail {

class ReadBufferPool : public std::enable_shared_from_this<ReadBufferPool> {
 public:
  // Buffers of `buffer_size` bytes are recycled, at most `max_spare` kept idle.
  static std::shared_ptr<ReadBufferPool> make(std::size_t buffer_size, std::size_t max_spare = 4);
  ~ReadBufferPool();
  ReadBufferPool(const ReadBufferPool&) = delete;
  ReadBufferPool& operator=(const ReadBufferPool&) = delete;

  // A buffer of `bytes`: recycled when bytes is the pooled size, otherwise allocated
  // for this use alone (a record larger than the buffer size).
  std::shared_ptr<Storage> take(std::size_t bytes);

  // Buffers kept idle for the next take(); for tests and diagnostics.
  std::size_t spare_count();

 private:
  ReadBufferPool(std::size_t buffer_size, std::size_t max_spare) : buffer_size_(buffer_size), max_spare_(max_spare) {}
  void give_back(void* buffer);

  const std::size_t buffer_size_;
  const std::size_t max_spare_;
  std::mutex mu_;
  std::vector<void*> spare_;  // guarded by mu_
};

}  // namespace spool::data::detail
