// Internal: a whole zlib or gzip buffer inflated in one call per stream by libdeflate,
// about twice as fast as zlib's streaming inflate, for input that is all in memory
// and whose output may be held whole. Not part of the public API.
//
//   std::optional<OwnedBytes> plain = inflate_whole(bytes, Compression::kGzip, 64 << 20);
//   if (!plain) source = make_inflate_source(...);   // zlib says where it broke
//
// libdeflate cannot stream and says nothing of where bad data starts, so it is a fast
// path only: corrupt or truncated input gives nothing, and the caller inflates it again
// with zlib (make_inflate_source), whose error names the offset and which delivers
// every good byte before it. Thread-safety: a pure function; safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "spool/data/io/byte_source.h"
#include "spool/data/io/compression.h"
#include "spool/tensor/storage.h"

namespace spool::data::detail {

// The first `size` bytes of `storage` (which may hold up to a quarter more).
struct OwnedBytes {
  std::shared_ptr<Storage> storage;
  std::size_t size = 0;
  std::span<const std::byte> span() const { return {storage->data(), size}; }
};

// The inflated bytes of `compressed` (kZlib or kGzip; concatenated streams or gzip
// members one after the other, as make_inflate_source reads them), or nullopt when
// the input is corrupt or truncated, or inflates to more than `limit` bytes. The
// output buffer starts from a guess (gzip's stored size of the last member, else four
// times the input), never above `limit` nor above deflate's 1032:1 of the input, and
// doubles up to `limit` only when the data has filled it.
std::optional<OwnedBytes> inflate_whole(std::span<const std::byte> compressed, Compression compression,
                                      std::uint64_t limit);

// Up to `size` bytes of `source` in one buffer (fewer when it ends sooner).
OwnedBytes read_whole(ByteSource& source, std::size_t size);

// What make_inflate_source gives, faster where it can: when `compressed` has a known
// size of at most `limit` bytes, it is read whole and inflated by inflate_whole, and
// the result is a memory source over the output; otherwise, or when libdeflate refuses
// the data, zlib streams it (from the bytes already read, if any).
std::unique_ptr<ByteSource> make_fast_inflate_source(std::unique_ptr<ByteSource> compressed, Compression compression,
                                                     std::uint64_t limit, std::size_t buffer_size,
                                                     const std::string& name);

}  // namespace spool::data::detail
