// The clock that times every stage's next(): nanoseconds on the steady clock's scale,
// read from the CPU's time-stamp counter where it is invariant.
//
// Stage statistics read a clock twice per element and stage. On a KVM guest
// steady_clock::now() goes through kvm-clock in the vDSO and costs more than twice a
// rdtsc: on a chain of cheap stages that difference is a large part of the per-stage
// overhead (bench_pipeline map_chain, stats:1 against stats:0). The counter's rate is
// calibrated once per process against steady_clock (over 2 ms, on first use); without
// an invariant TSC (or off x86-64) now_ns() is steady_clock itself.
// Thread-safety: now_ns() may be called from any thread.
#pragma once

#include <cstdint>

namespace spool::data::detail {

// Monotonic nanoseconds from an arbitrary origin; only differences are meaningful.
std::int64_t stage_clock_ns();

}  // namespace spool::data::detail
