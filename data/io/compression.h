// Compression of a TFRecord stream: none, zlib or gzip around the whole framing, as
// TensorFlow's `compression_type` ("", "ZLIB", "GZIP"), plus kAuto for readers.
//
//   Compression c = parse_compression("gzip");        // kGzip; "GZIP" and "" work too
//   std::string_view n = compression_name(c);         // "gzip"
//   Compression d = detect_compression(first_bytes);  // what kAuto resolves to
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace spool::data {

enum class Compression {
  kAuto,  // readers only: decided from the first bytes of the stream
  kNone,
  kZlib,  // zlib (RFC 1950) stream, TensorFlow's "ZLIB"
  kGzip,  // gzip (RFC 1952) stream, possibly several members, TensorFlow's "GZIP"
};

// Accepts auto|none|zlib|gzip in any case, and TensorFlow's "" (none); throws
// InvalidArgument naming the value and the accepted names otherwise.
Compression parse_compression(std::string_view name);

// "auto", "none", "zlib" or "gzip".
std::string_view compression_name(Compression compression);

// How many leading bytes detect_compression() looks at; fewer are fine near the end.
inline constexpr std::size_t kDetectBytes = 12;

// kGzip for the gzip magic 1f 8b; kNone when the first 12 bytes are a TFRecord frame
// header whose length CRC checks out (an uncompressed file whose length bytes happen to
// look like a zlib header stays uncompressed), or when there are no bytes at all;
// kZlib for a valid zlib header (CM 8, (CMF*256+FLG) % 31 == 0); kNone otherwise, so
// that the reader reports the bad framing.
Compression detect_compression(std::span<const std::byte> first_bytes);

}  // namespace spool::data
