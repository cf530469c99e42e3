#include "spool/tensor/malloc_tuning.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems, which the test below needs

#if defined(__GLIBC__)
#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <malloc.h>
#endif

namespace spool {

#if defined(__GLIBC__)
namespace {

// mimalloc or jemalloc linked into the program (SPOOL_ALLOCATOR) or preloaded put their
// own malloc in front of the C library's; mallopt would then tune a heap that nothing
// allocates from. A program linked statically cannot tell, and is taken to use glibc's.
bool glibc_malloc_in_use() {
  void* const libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
  if (libc == nullptr) return true;
  const bool same = dlsym(libc, "malloc") == dlsym(RTLD_DEFAULT, "malloc");
  dlclose(libc);
  return same;
}

}  // namespace
#endif

bool tune_malloc_for_streaming() {
#if defined(__GLIBC__)
  if (!glibc_malloc_in_use()) return false;
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
