#include "spool/data/detail/memory_budget.h"

#include <algorithm>

namespace spool::data::detail {

bool MemoryBudget::acquire(std::int64_t bytes, bool holds_nothing, CancellationToken& cancel) {
  return acquire(bytes, [holds_nothing] { return holds_nothing; }, cancel);
}

bool MemoryBudget::acquire(std::int64_t bytes, const std::function<bool()>& needed_now, CancellationToken& cancel) {
  if (try_acquire(bytes, needed_now())) return true;
  // Registered before taking mu_ and destroyed after releasing it: cancel() runs the
  // callback under the token's lock, and the callback takes mu_.
  auto wake = cancel.on_cancel([this] {
    std::lock_guard l(mu_);
    released_.notify_all();
  });
  std::unique_lock lock(mu_);
  // Counted before the first look at used_, so a release() that does not see this
  // waiter happened before that look (all seq_cst), and the look sees its bytes.
  ++waiters_;
  released_.wait(lock, [&] { return fits(bytes) || needed_now() || cancel.cancelled(); });
  --waiters_;
  if (cancel.cancelled()) return false;
  take(bytes);
  return true;
}

void MemoryBudget::take(std::int64_t bytes) {
  const std::int64_t now = used_.fetch_add(bytes) + bytes;
  std::int64_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

bool MemoryBudget::try_acquire(std::int64_t bytes, bool holds_nothing) {
  if (limit_ == 0 || holds_nothing) {
    take(bytes);
    return true;
  }
  std::int64_t used = used_.load();
  do {
    if (used + bytes > limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes));
  const std::int64_t now = used + bytes;
  std::int64_t peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
  return true;
}

void MemoryBudget::release(std::int64_t bytes) {
  used_.fetch_sub(bytes);
  if (waiters_.load() > 0) {
    std::lock_guard lock(mu_);
    released_.notify_all();
  }
}

bool MemoryBudget::has_room(std::int64_t bytes) const { return fits(bytes); }

}  // namespace spool::data::detail
