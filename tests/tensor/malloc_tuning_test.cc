#include "spool/tensor/malloc_tuning.h"

#include <gtest/gtest.h>

#include <string_view>

namespace spool {
namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SPOOL_TEST_SANITIZER_MALLOC 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SPOOL_TEST_SANITIZER_MALLOC 1
#endif

// This program links the malloc SPOOL_ALLOCATOR names (spool_link_allocator), so the
// answer also shows that the link put that malloc in front of glibc's. A sanitizer's
// runtime replaces malloc itself.
TEST(MallocTuningTest, TunesOnlyGlibcMallocInUse) {
#if defined(SPOOL_TEST_SANITIZER_MALLOC)
  const bool glibc_in_use = false;
#else
  const bool glibc_in_use = std::string_view(SPOOL_ALLOCATOR_NAME) == "glibc";
#endif
  EXPECT_EQ(tune_malloc_for_streaming(), glibc_in_use) << "SPOOL_ALLOCATOR=" << SPOOL_ALLOCATOR_NAME;
}

}  // namespace
}  // namespace spool
