// The TFRecord framing, shared by the reader, the writer and the index
// (tensorflow/core/lib/io/record_writer.h):
//
//   uint64 length                         little-endian
//   uint32 masked crc32c of length        the 8 bytes above
//   byte   data[length]
//   uint32 masked crc32c of data
//
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "spool/data/io/crc32c.h"

namespace spool::data::tfrecord {

inline constexpr std::size_t kHeaderSize = 12;  // length + its crc
inline constexpr std::size_t kFooterSize = 4;   // crc of the data
inline constexpr std::size_t kFrameOverhead = kHeaderSize + kFooterSize;

inline void encode_u32(std::uint32_t v, std::byte* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}
inline void encode_u64(std::uint64_t v, std::byte* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>(v >> (8 * i));
}
inline std::uint32_t decode_u32(const std::byte* in) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint32_t>(in[i]);
  return v;
}
inline std::uint64_t decode_u64(const std::byte* in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint64_t>(in[i]);
  return v;
}

// Writes the 12-byte header of a record of `length` bytes.
inline void encode_header(std::uint64_t length, std::byte* out) {
  encode_u64(length, out);
  encode_u32(mask_crc(crc32c(out, 8)), out + 8);
}

// The length a 12-byte header claims, or false when its length CRC does not check out.
inline bool decode_header(const std::byte* header, std::uint64_t* length) {
  if (decode_u32(header + 8) != mask_crc(crc32c(header, 8))) return false;
  *length = decode_u64(header);
  return true;
}

// The 4-byte footer of `data`.
inline void encode_footer(const void* data, std::size_t n, std::byte* out) {
  encode_u32(mask_crc(crc32c(data, n)), out);
}

inline bool footer_matches(const std::byte* data, std::size_t n, const std::byte* footer) {
  return decode_u32(footer) == mask_crc(crc32c(data, n));
}

}  // namespace spool::data::tfrecord
