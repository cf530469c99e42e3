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
  released_.wait(lock, [&] { return fits(bytes) || needed_now() || cancel.cancelled(); });
  if (cancel.cancelled()) return false;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return true;
}

bool MemoryBudget::try_acquire(std::int64_t bytes, bool holds_nothing) {
  std::lock_guard lock(mu_);
  if (!holds_nothing && !fits(bytes)) return false;
  used_ += bytes;
  peak_ = std::max(peak_, used_);
  return true;
}

void MemoryBudget::release(std::int64_t bytes) {
  {
    std::lock_guard lock(mu_);
    used_ -= bytes;
  }
  released_.notify_all();
}

bool MemoryBudget::has_room(std::int64_t bytes) const {
  std::lock_guard lock(mu_);
  return fits(bytes);
}

std::int64_t MemoryBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

std::int64_t MemoryBudget::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace spool::data::detail
