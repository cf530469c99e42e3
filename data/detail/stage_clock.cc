#include "spool/data/detail/stage_clock.h"

#include <chrono>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <x86intrin.h>
#define SPOOL_HAVE_RDTSC 1
#endif

namespace spool::data::detail {
namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

#ifdef SPOOL_HAVE_RDTSC
// The TSC's rate against steady_clock, or 0 when the TSC cannot stand in for it.
struct TscScale {
  double ns_per_tick = 0;
  std::uint64_t tick0 = 0;
  std::int64_t ns0 = 0;

  TscScale() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID 0x80000007 EDX bit 8: invariant TSC (constant rate, runs in every C-state).
    if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) == 0 || (edx & (1u << 8)) == 0) return;
    ns0 = steady_ns();
    tick0 = __rdtsc();
    std::int64_t ns1 = ns0;
    while (ns1 - ns0 < 2'000'000) ns1 = steady_ns();
    const std::uint64_t tick1 = __rdtsc();
    if (tick1 > tick0) ns_per_tick = static_cast<double>(ns1 - ns0) / static_cast<double>(tick1 - tick0);
  }
};
#endif

}  // namespace

std::int64_t stage_clock_ns() {
#ifdef SPOOL_HAVE_RDTSC
  static const TscScale scale;
  if (scale.ns_per_tick > 0) {
    return scale.ns0 + static_cast<std::int64_t>(static_cast<double>(__rdtsc() - scale.tick0) * scale.ns_per_tick);
  }
#endif
  return steady_ns();
}

}  // namespace spool::data::detail
