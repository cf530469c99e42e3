// Internal: the brief spin before sleeping that Spool's hand-offs between threads use
// (the kernel pool, the replicas of a strategy).
//
// spin_until(ready) polls `ready` for a few thousand pause instructions — longer than
// the gap between a training step's kernel calls — and says whether it came true; a
// caller that gets false goes on to wait on its condition variable. A condition
// variable's wake-up alone would be a large share of a short kernel call
// (bench_training train_step/mlp).
#pragma once

namespace spool::detail {

template <typename Ready>
bool spin_until(Ready ready) {
  constexpr int kSpins = 4000;
  for (int i = 0; i < kSpins; ++i) {
    if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  return ready();
}

}  // namespace spool::detail
