// CRC-32C (Castagnoli), the checksum TFRecord frames and Spool's tensor files carry, and
// TensorFlow's masking. It lives in tensor/ so that every layer above can use it.
//
//   std::uint32_t c = crc32c(bytes.data(), bytes.size());
//   c = crc32c_extend(c, more.data(), more.size());   // same as crc32c of both, concatenated
//   std::uint32_t stored = mask_crc(c);                // what a TFRecord file holds
//
// crc32c("123456789") == 0xE3069283. The implementation is chosen once, at run time:
// on x86-64 with SSE4.2 and PCLMULQDQ, the crc32 instruction runs three streams over
// adjacent blocks and carry-less multiplication joins them (bench_io crc32c/spool sets it
// beside memcpy); with SSE4.2 alone, one stream of crc32; elsewhere a portable
// table-driven loop.
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace spool {

// The CRC of data[0, n) continued from `crc` (the CRC of what came before; 0 to start).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n);

inline std::uint32_t crc32c(const void* data, std::size_t n) { return crc32c_extend(0, data, n); }
inline std::uint32_t crc32c(std::string_view bytes) { return crc32c_extend(0, bytes.data(), bytes.size()); }

// The portable path, always available: tests compare it with the fast one.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n);

// "sse4.2+pclmul", "sse4.2" or "portable": which implementation crc32c_extend uses on
// this CPU.
std::string_view crc32c_implementation();

// One implementation this CPU can run, with the signature of crc32c_extend.
struct Crc32cImplementation {
  std::string_view name;
  std::uint32_t (*extend)(std::uint32_t crc, const void* data, std::size_t n);
};

// Every implementation this CPU can run, fastest first: front() is what crc32c_extend
// uses and back() is the portable path. Tests and benchmarks walk it so that each path
// the CPU supports is checked, not only the one dispatch picks. Valid for the program's life.
std::span<const Crc32cImplementation> crc32c_implementations();

// TensorFlow masks stored CRCs, because a CRC computed over bytes that themselves
// contain CRCs is weak (core/lib/hash/crc32c.h).
inline constexpr std::uint32_t kCrcMaskDelta = 0xa282ead8u;

constexpr std::uint32_t mask_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrcMaskDelta; }

constexpr std::uint32_t unmask_crc(std::uint32_t masked) {
  const std::uint32_t rot = masked - kCrcMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace spool
