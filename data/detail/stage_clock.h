// The clock that times every stage's next(): nanoseconds on the steady clock's scale,
// read from the CPU's time-stamp counter where it is invariant.
//
// Stage statistics read a clock twice per element and stage. steady_clock::now()
// costs ~27 ns on a KVM guest (kvm-clock through the vDSO), rdtsc ~11 ns: on a chain
// of cheap stages that difference is a third of the per-stage overhead. The counter's
// rate is measured once per process against steady_clock (a 2 ms calibration on first
// use); without an invariant TSC (or off x86-64) now_ns() is steady_clock itself.
// Thread-safety: now_ns() may be called from any thread.
#pragma once

#include <cstdint>

namespace spool::data::detail {

// Monotonic nanoseconds from an arbitrary origin; only differences are meaningful.
std::int64_t stage_clock_ns();

}  // namespace spool::data::detail
