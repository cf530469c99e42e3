#include "spool/data/io/compression.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "spool/data/io/tfrecord_format.h"
#include "spool/tensor/error.h"

namespace spool::data {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

Compression parse_compression(std::string_view name) {
  const std::string n = lower(name);
  if (n == "auto") return Compression::kAuto;
  if (n == "none" || n.empty()) return Compression::kNone;
  if (n == "zlib") return Compression::kZlib;
  if (n == "gzip") return Compression::kGzip;
  SPOOL_THROW(InvalidArgument, "unknown compression ", quoted(std::string(name)),
              ": expected auto, none, zlib or gzip (or TensorFlow's \"\", \"ZLIB\", \"GZIP\")");
}

std::string_view compression_name(Compression compression) {
  switch (compression) {
    case Compression::kAuto: return "auto";
    case Compression::kNone: return "none";
    case Compression::kZlib: return "zlib";
    case Compression::kGzip: return "gzip";
  }
  SPOOL_THROW(InvalidArgument, "invalid Compression value ", static_cast<int>(compression));
}

Compression detect_compression(std::span<const std::byte> first_bytes) {
  const std::size_t n = first_bytes.size();
  if (n >= 2 && first_bytes[0] == std::byte{0x1f} && first_bytes[1] == std::byte{0x8b}) return Compression::kGzip;
  // The plain reading wins: a frame header whose CRC checks out is a 1-in-2^32 accident
  // for a compressed stream, while a record length such as 0x0178 (376) makes the
  // first two bytes a perfectly valid zlib header.
  std::uint64_t length = 0;
  if (n >= tfrecord::kHeaderSize && tfrecord::decode_header(first_bytes.data(), &length)) return Compression::kNone;
  if (n >= 2) {
    const auto cmf = static_cast<unsigned>(first_bytes[0]);
    const auto flg = static_cast<unsigned>(first_bytes[1]);
    if ((cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256 + flg) % 31 == 0) return Compression::kZlib;
  }
  return Compression::kNone;
}

}  // namespace spool::data
