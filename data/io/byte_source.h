// Internal: where a TFRecordReader gets its bytes when they are not all in memory —
// a file descriptor, a std::istream, or zlib/gzip inflation of another source — and
// map_file() for the mapped case. Not part of the public API.
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spool/data/io/compression.h"
#include "spool/tensor/error.h"
#include "spool/tensor/storage.h"

namespace spool::data::detail {

// A broken compressed stream: `offset` is the uncompressed offset where it broke.
class StreamError : public DataLossError {
 public:
  StreamError(const std::string& what, std::uint64_t offset) : DataLossError(what), offset_(offset) {}
  std::uint64_t offset() const { return offset_; }

 private:
  std::uint64_t offset_;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to n bytes into dst; fewer at the end (0 = the end), or from a followed file
  // that has no more yet. Throws IoError, or
  // StreamError after delivering every good byte before a compressed-stream break.
  virtual std::size_t read(std::byte* dst, std::size_t n) = 0;
  // Back to the first byte; throws IoError when the source cannot go back.
  virtual void rewind() = 0;
  // Moves forward n bytes; returns how many there were. The default reads and drops.
  virtual std::uint64_t skip(std::uint64_t n);
  // Total bytes in the stream, when known up front (an uncompressed file).
  virtual std::optional<std::uint64_t> size() const { return std::nullopt; }
  // All bytes at once, when they are already in memory (lets inflation avoid a copy).
  virtual std::span<const std::byte> in_memory() const { return {}; }
};

// Maps `path` read-only; a 0-byte file gives an empty Storage. Throws IoError.
std::shared_ptr<Storage> map_file(const std::string& path);

// Maps the pages of [addr, addr + n) of a map_file() mapping ahead of use, so that
// reading them takes no page faults (MADV_POPULATE_READ). False when the kernel cannot.
bool populate_mapping(const std::byte* addr, std::size_t n);

// With `follow_idle`, the file is followed as RecordOptions::follow says: at its end a
// read waits while a writer holds the file, or until no byte has come for follow_idle,
// and returns what arrived (possibly fewer than asked) or 0 for the end; size() is then
// unknown.
std::unique_ptr<ByteSource> open_file_source(const std::string& path,
                                             std::optional<std::chrono::milliseconds> follow_idle = std::nullopt);
std::unique_ptr<ByteSource> make_istream_source(std::istream& in, const std::string& name);
// Views `bytes` (kept alive by `owner`).
std::unique_ptr<ByteSource> make_memory_source(std::shared_ptr<Storage> owner, std::span<const std::byte> bytes);
// Gives `prefix` (bytes already read from the start of `rest`), then the rest.
std::unique_ptr<ByteSource> make_prefixed_source(std::vector<std::byte> prefix, std::unique_ptr<ByteSource> rest);
// Inflates `compressed` (kZlib or kGzip; gzip members may be concatenated).
std::unique_ptr<ByteSource> make_inflate_source(std::unique_ptr<ByteSource> compressed, Compression compression,
                                                std::size_t buffer_size, const std::string& name);

}  // namespace spool::data::detail
