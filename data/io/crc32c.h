// CRC-32C (Castagnoli), the checksum TFRecord frames carry, and TensorFlow's masking.
//
//   std::uint32_t c = crc32c(bytes.data(), bytes.size());
//   c = crc32c_extend(c, more.data(), more.size());   // same as crc32c of both, concatenated
//   std::uint32_t stored = mask_crc(c);                // what a TFRecord file holds
//
// crc32c("123456789") == 0xE3069283. The implementation is chosen once, at run time:
// the SSE4.2 crc32 instruction with several streams in flight where the CPU has it,
// a portable table-driven loop elsewhere.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spool::data {

// The CRC of data[0, n) continued from `crc` (the CRC of what came before; 0 to start).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n);

inline std::uint32_t crc32c(const void* data, std::size_t n) { return crc32c_extend(0, data, n); }
inline std::uint32_t crc32c(std::string_view bytes) { return crc32c_extend(0, bytes.data(), bytes.size()); }

// The portable path, always available: tests compare it with the fast one.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n);

// "sse4.2" or "portable": which implementation crc32c_extend uses on this CPU.
std::string_view crc32c_implementation();

// TensorFlow masks stored CRCs, because a CRC computed over bytes that themselves
// contain CRCs is weak (core/lib/hash/crc32c.h).
inline constexpr std::uint32_t kCrcMaskDelta = 0xa282ead8u;

constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta; }

constexpr std::uint32_t unmask_crc(std::uint32_t masked) {
  const std::uint32_t rot = masked - kCrcMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace spool::data
