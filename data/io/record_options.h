// How a TFRecordReader reads: compression, buffering, mmap and what to do with
// corrupt bytes; and the report a reader makes of every corruption it skips.
//
//   auto options = RecordOptions()
//                      .compression(Compression::kAuto)
//                      .corruption_policy(CorruptionPolicy::kSkipRecord)
//                      .on_corruption([](const CorruptionReport& r) { log(r.reason); });
//   TFRecordReader reader("train-00003.tfrecord", options);
//
// Thread-safety: plain values. The callback runs on the thread that calls next().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "spool/data/io/compression.h"

namespace spool::data {

enum class CorruptionPolicy {
  kFail,        // throw DataLossError (the default)
  kSkipRecord,  // report, skip the bad record, resynchronise on the next valid header
  kSkipFile,    // report, then end this file as if it were complete
};

// Accepts fail|skip_record|skip_file (any case); throws InvalidArgument otherwise.
CorruptionPolicy parse_corruption_policy(std::string_view name);
std::string_view corruption_policy_name(CorruptionPolicy policy);

// One skipped stretch of bytes. Offsets count bytes of the uncompressed stream.
struct CorruptionReport {
  std::string file;             // path, or the name given for a buffer or stream
  std::uint64_t offset = 0;     // where the bad record (or the broken stream) starts
  std::uint64_t record_index = 0;  // the index the bad record would have had
  std::uint64_t skipped_bytes = 0;  // bytes skipped: up to the next good header or the end
  std::string reason;           // the DataLossError message kFail would have thrown
  std::string what;             // the problem alone, e.g. "data crc mismatch" (file, index, offset are above)
};

class RecordOptions {
 public:
  static constexpr std::size_t kDefaultBufferSize = 256 * 1024;

  // kAuto (the default) detects none/zlib/gzip from the first bytes.
  RecordOptions& compression(Compression c) { compression_ = c; return *this; }
  Compression compression() const { return compression_; }

  // Bytes read (or inflated) at a time when the input is not mapped; a record larger
  // than this gets a buffer of its own size. Must be > 0.
  RecordOptions& buffer_size(std::size_t n) { buffer_size_ = n; return *this; }
  std::size_t buffer_size() const { return buffer_size_; }

  RecordOptions& corruption_policy(CorruptionPolicy p) { policy_ = p; return *this; }
  CorruptionPolicy corruption_policy() const { return policy_; }

  // Off (the default): read() into buffers of buffer_size; records view those buffers.
  // On: map the file; records are views of the mapping, with no copy at all. Yet the
  // mapping reads more slowly (bench_io read/tfrecord/mmap against
  // read/tfrecord/buffered): page faults on a 4 KiB-page mapping cost more than the copy
  // into a cache-resident buffer. Mapping pays for random access (read_at) and when
  // records are held long (a buffered record keeps its whole read buffer alive).
  RecordOptions& use_mmap(bool on) { use_mmap_ = on; return *this; }
  bool use_mmap() const { return use_mmap_; }

  // On (the default): the reader lists every record's offset and length as it reads
  // (TFRecordReader::index(), the count for free). Off: no list; streaming readers
  // (TFRecordDataset) turn it off, since the list grows with the file and its page
  // faults show in a parse-and-batch pipeline (bench_pipeline tfrecord_parse_batch).
  RecordOptions& build_index(bool on) { build_index_ = on; return *this; }
  bool build_index() const { return build_index_; }

  // Called once per skipped stretch, in addition to TFRecordReader::corruptions().
  RecordOptions& on_corruption(std::function<void(const CorruptionReport&)> f) {
    on_corruption_ = std::move(f);
    return *this;
  }
  const std::function<void(const CorruptionReport&)>& on_corruption() const { return on_corruption_; }

  // Off (the default): the end of the file is the end of its records, and a record cut
  // short there is corruption. On, for a reader of a path: at the end it waits for more
  // bytes while a writer holds the file (a TFRecordWriter with
  // WriterOptions().streaming(true), until its close()) and ends once the writer has
  // closed it, so a pipeline over a file still being produced ends with the producer.
  // A writer killed mid-record leaves a cut record: corruption, as without follow.
  // Producers that take no lock (TensorFlow's writer) are followed until no byte has
  // arrived for follow_idle_timeout (default 0: the end as it is). Reads are buffered
  // (use_mmap is ignored); a buffer or std::istream is read as it is.
  RecordOptions& follow(bool on) { follow_ = on; return *this; }
  bool follow() const { return follow_; }
  RecordOptions& follow_idle_timeout(std::chrono::milliseconds t) { follow_idle_timeout_ = t; return *this; }
  std::chrono::milliseconds follow_idle_timeout() const { return follow_idle_timeout_; }

  // A record whose header declares more bytes than this is refused before any of it is
  // read or allocated, as a corruption under the policy ("record over the size limit";
  // kSkipRecord skips its frame without holding it). A reader holds a whole record in
  // memory, and a compressed file can promise far more than its size: deflate inflates
  // up to about 1032:1, so a 1 MiB gzip shard can hold one 1 GiB record of zeros. An
  // uncompressed file's records are also checked against the bytes the file has left.
  // Must be > 0.
  static constexpr std::uint64_t kDefaultMaxRecordSize = std::uint64_t{1} << 30;
  RecordOptions& max_record_size(std::uint64_t bytes);
  std::uint64_t max_record_size() const { return max_record_size_; }

  // A compressed file or buffer whose inflated bytes fit in this many (and in
  // max_record_size) is inflated in one go by libdeflate, about twice zlib's speed, and
  // its records are read from that memory; the reader then holds the whole inflated
  // file, and a Record keeps it alive. Larger input, followed files and std::istream
  // input stream through zlib in buffer_size pieces, as does any input libdeflate
  // refuses, so that a broken stream is reported where it breaks. 0: always stream.
  static constexpr std::uint64_t kDefaultWholeInflateLimit = std::uint64_t{64} << 20;
  RecordOptions& whole_inflate_limit(std::uint64_t bytes) { whole_inflate_limit_ = bytes; return *this; }
  std::uint64_t whole_inflate_limit() const { return whole_inflate_limit_; }

  // The name errors use for a buffer or stream input (a file is named by its path).
  RecordOptions& name(std::string n) { name_ = std::move(n); return *this; }
  const std::string& name() const { return name_; }

 private:
  Compression compression_ = Compression::kAuto;
  std::size_t buffer_size_ = kDefaultBufferSize;
  CorruptionPolicy policy_ = CorruptionPolicy::kFail;
  bool use_mmap_ = false;
  bool build_index_ = true;
  std::uint64_t max_record_size_ = kDefaultMaxRecordSize;
  std::uint64_t whole_inflate_limit_ = kDefaultWholeInflateLimit;
  bool follow_ = false;
  std::chrono::milliseconds follow_idle_timeout_{0};
  std::function<void(const CorruptionReport&)> on_corruption_;
  std::string name_;
};

}  // namespace spool::data
