// libFuzzer target: arbitrary bytes as a record index file (`<file>.idx`, DALI's
// tfrecord2idx text: one "offset size" line per record) through RecordIndex::load from
// an in-memory file; what loads is then used to read a fixed TFRecord stream, raw and
// gzip, with read_at (seeds: that stream's true index, from fuzz_make_seeds).
//
// Contract checked: malformed input throws spool::Error (anything else, a crash or a
// sanitizer report is a bug); a loaded index has frames of at least 16 bytes in
// increasing, non-overlapping order, is accepted whole by RecordIndex's constructor,
// and saves to text that loads back equal; read_at either returns the record the entry
// describes (its offset, its size) or throws spool::Error.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_check.h"
#include "fuzz_inputs.h"
#include "spool/data/io/record_index.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;
using spool::fuzz::check;

// One memfd for the run, rewritten per input: RecordIndex::load takes a path.
std::string write_memory_file(const std::uint8_t* data, std::size_t size) {
  static const int fd = ::memfd_create("fuzz.idx", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
    std::perror("fuzz_record_index: memfd");
    __builtin_trap();
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

void check_loaded(const RecordIndex& index) {
  std::uint64_t end = 0;
  for (const IndexEntry& e : index) {
    check(e.size >= 16, "frame size >= 16");
    check(e.offset >= end, "frames increasing and not overlapping");
    check(e.offset + e.size >= e.offset, "frame end does not overflow");
    end = e.offset + e.size;
  }
  check(index.end_offset() == end, "end_offset");
  check(RecordIndex(index.entries()) == index, "the constructor accepts what load accepted");
  // The same file saved again loads back equal.
  const std::string text = index.to_text();
  const std::string again_path = write_memory_file(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  check(RecordIndex::load(again_path) == index, "to_text round trip");
}

void read_with(const RecordIndex& index, const std::string& stream, Compression compression) {
  TFRecordReader reader = TFRecordReader::from_string(stream, RecordOptions().compression(compression).name("indexed"));
  // Backwards too: a compressed stream seeks back by restarting.
  const std::size_t n = std::min<std::size_t>(index.size(), 8);
  for (std::size_t k = 0; k < 2 * n; ++k) {
    const std::size_t i = k < n ? k : 2 * n - 1 - k;
    try {
      const Record r = reader.read_at(index, i);
      check(r.offset == index[i].offset && r.size() + 16 == index[i].size && r.index == i, "read_at's record");
    } catch (const spool::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string raw = spool::fuzz::indexed_tfrecord(Compression::kNone);
  static const std::string gzip = spool::fuzz::indexed_tfrecord(Compression::kGzip);
  const std::string path = write_memory_file(data, size);
  RecordIndex index;
  try {
    index = RecordIndex::load(path);
  } catch (const spool::Error&) {
    return 0;
  }
  check_loaded(index);
  read_with(index, raw, Compression::kNone);
  read_with(index, gzip, Compression::kGzip);
  return 0;
}
