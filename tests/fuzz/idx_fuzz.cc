// libFuzzer target: arbitrary bytes as an IDX file (raw, or gzip when they start with
// its magic) through read_idx, from an in-memory file.
//
// Contract checked: malformed input throws spool::Error (anything else, a crash, a
// sanitizer report or an allocation past -rss_limit_mb is a bug), and what decodes has
// the element count its header's dimensions promise.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "spool/data/image/idx.h"
#include "spool/tensor/error.h"

namespace {

// One memfd for the run, rewritten per input: read_idx takes a path.
int memory_file() {
  static const int fd = ::memfd_create("fuzz.idx", MFD_CLOEXEC);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memory_file();
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    std::perror("fuzz_idx: memfd");
    __builtin_trap();
  }
  try {
    const spool::Tensor t = spool::data::read_idx("/proc/self/fd/" + std::to_string(fd));
    std::int64_t promised = 1;
    for (std::size_t d = 0; d < 4 && size >= 4 + 4 * (d + 1) && d < static_cast<std::size_t>(data[3]); ++d) {
      promised *= (std::int64_t{data[4 + 4 * d]} << 24) | (data[5 + 4 * d] << 16) | (data[6 + 4 * d] << 8) | data[7 + 4 * d];
    }
    // Only for raw input: the header of a gzip file is inside the stream.
    if (size >= 2 && !(data[0] == 0x1f && data[1] == 0x8b) && t.numel() != promised) {
      std::fprintf(stderr, "broken invariant: %lld elements, the header promised %lld\n",
                   static_cast<long long>(t.numel()), static_cast<long long>(promised));
      __builtin_trap();
    }
  } catch (const spool::Error&) {
  }
  return 0;
}
