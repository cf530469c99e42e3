// libFuzzer target: arbitrary bytes as a TFRecord stream, with compression kAuto,
// through the in-memory reader and the streaming (std::istream) reader, under each
// corruption policy, read to the end; then once more under each explicit compression
// (none, zlib, gzip), since kAuto sends bytes that lack a compressed stream's magic to
// the plain reader and so never feeds a damaged zlib or gzip header to inflate.
//
// Contract checked: bad bytes throw spool::Error or are reported as skipped, never
// crash, hang or over-allocate (-rss_limit_mb); records come out numbered in order at
// increasing offsets; the index a complete read builds matches the records read.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "spool/data/io/tfrecord_reader.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;

void require(bool condition) {
  // A broken invariant is a bug in Spool, not bad input: let libFuzzer record it.
  if (!condition) __builtin_trap();
}

void read_to_end(TFRecordReader reader, CorruptionPolicy policy) {
  std::uint64_t count = 0;
  std::uint64_t next_offset = 0;
  std::uint64_t payload_bytes = 0;
  try {
    while (const std::optional<Record> record = reader.next()) {
      require(record->index == count);
      require(record->offset >= next_offset);
      next_offset = record->offset + record->size() + 16;
      payload_bytes += record->size();
      ++count;
    }
  } catch (const spool::Error&) {
    return;
  }
  if (policy == CorruptionPolicy::kFail) require(reader.corruptions().empty());
  if (reader.index_complete()) {
    require(reader.index().size() == count);
    std::uint64_t indexed = 0;
    for (const IndexEntry& entry : reader.index()) indexed += entry.payload_size();
    require(indexed == payload_bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (CorruptionPolicy policy :
       {CorruptionPolicy::kFail, CorruptionPolicy::kSkipRecord, CorruptionPolicy::kSkipFile}) {
    const auto options = RecordOptions().compression(Compression::kAuto).corruption_policy(policy).name("fuzz");
    try {
      read_to_end(TFRecordReader::from_string(bytes, options), policy);
    } catch (const spool::Error&) {
      // Opening may already reject the input (e.g. a broken compressed header).
    }
    // A tiny buffer makes the streaming path grow, refill and resynchronise often.
    std::istringstream in(bytes);
    try {
      read_to_end(TFRecordReader(in, RecordOptions(options).buffer_size(64)), policy);
    } catch (const spool::Error&) {
    }
  }
  for (Compression compression : {Compression::kNone, Compression::kZlib, Compression::kGzip}) {
    try {
      read_to_end(TFRecordReader::from_string(bytes, RecordOptions().compression(compression).name("fuzz")),
                  CorruptionPolicy::kFail);
    } catch (const spool::Error&) {
    }
  }
  return 0;
}
