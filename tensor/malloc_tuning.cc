#include "spool/tensor/malloc_tuning.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems, which the test below needs

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace spool {

bool tune_malloc_for_streaming() {
#if defined(__GLIBC__)
  constexpr int kMiB = 1 << 20;
  // Setting any of these also turns off glibc's dynamic mmap threshold, so the values
  // below stay as set.
  const bool ok = mallopt(M_TRIM_THRESHOLD, 256 * kMiB) == 1 && mallopt(M_TOP_PAD, 64 * kMiB) == 1 &&
                  mallopt(M_MMAP_THRESHOLD, 32 * kMiB) == 1;
  return ok;
#else
  return false;
#endif
}

}  // namespace spool
