// The byte budget one iterator's buffers share (Options::max_buffered_bytes).
//
// A buffering stage acquires an element's bytes before it keeps the element and
// releases them when it hands the element on. Elements a consumer is waiting for may
// always acquire: the one a stage holding nothing takes, and in a parallel map the
// chunk that holds the awaited element or that the consumer computes itself. So a
// pipeline never deadlocks on a small budget, and passes it by at most those elements.
// Others wait in acquire() until enough is released or the token is cancelled.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "spool/data/detail/cancellation.h"

namespace spool::data::detail {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::int64_t limit) : limit_(limit) {}  // 0: no limit

  // Takes `bytes`, waiting while over the limit unless `holds_nothing`. Returns false
  // (having taken nothing) when `cancel` fired while waiting.
  bool acquire(std::int64_t bytes, bool holds_nothing, CancellationToken& cancel);
  // The same, but `needed_now()` is asked again at every wake-up: a stage whose
  // element becomes the one its consumer waits for must take it at once, or the
  // consumer and the stage would wait on each other. `needed_now` runs under the
  // budget's lock and must not take locks itself (read atomics).
  bool acquire(std::int64_t bytes, const std::function<bool()>& needed_now, CancellationToken& cancel);
  // Takes `bytes` if that stays within the limit (or `holds_nothing`); never waits.
  bool try_acquire(std::int64_t bytes, bool holds_nothing);
  void release(std::int64_t bytes);
  // Whether `bytes` more would fit now (autotune asks before growing a buffer).
  bool has_room(std::int64_t bytes) const;

  std::int64_t limit() const { return limit_; }
  std::int64_t used() const { return used_.load(); }
  std::int64_t peak() const { return peak_.load(); }

 private:
  // Every element passes through here twice, from several threads: the counters are
  // atomics, and the mutex is only for sleeping on a full budget. A contended mutex
  // costs a futex call, which is microseconds on this kind of virtual machine.
  bool fits(std::int64_t bytes) const { return limit_ == 0 || used_.load() + bytes <= limit_; }
  void take(std::int64_t bytes);

  const std::int64_t limit_;
  std::atomic<std::int64_t> used_{0};
  std::atomic<std::int64_t> peak_{0};
  std::atomic<std::int64_t> waiters_{0};  // changed under mu_, read by release() without it
  std::mutex mu_;
  std::condition_variable released_;
};

}  // namespace spool::data::detail
