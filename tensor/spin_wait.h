// Internal: the brief spin before sleeping that Spool's hand-offs between threads use
// (the kernel pool, the replicas of a strategy, the input pipeline's parallel stages).
//
// spin_until(ready) polls `ready` for a few thousand pause instructions — longer than
// the gap between a training step's kernel calls — and says whether it came true; a
// caller that gets false goes on to wait on its condition variable. A condition
// variable's wake-up alone would be a large share of a short kernel call
// (bench_training train_step/mlp).
//
// lock_spinning(mu) locks a mutex that is held for a few hundred nanoseconds by
// threads on other cores, trying for a short while before it sleeps: a sleeping waiter
// makes the holder's unlock a futex call too, and a system call costs microseconds on
// a virtual machine.
#pragma once

#include <mutex>

namespace spool::detail {

inline void pause_briefly() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

template <typename Ready>
bool spin_until(Ready ready) {
  constexpr int kSpins = 4000;
  for (int i = 0; i < kSpins; ++i) {
    if (ready()) return true;
    pause_briefly();
  }
  return ready();
}

// Locks `lock`'s mutex (which it must not own).
inline void lock_spinning(std::unique_lock<std::mutex>& lock) {
  for (int i = 0; i < 256; ++i) {
    if (lock.try_lock()) return;
    pause_briefly();
  }
  lock.lock();
}

inline std::unique_lock<std::mutex> lock_spinning(std::mutex& mu) {
  std::unique_lock<std::mutex> lock(mu, std::defer_lock);
  lock_spinning(lock);
  return lock;
}

}  // namespace spool::detail
