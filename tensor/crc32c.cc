#include "spool/tensor/crc32c.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPOOL_CRC32C_X86 1
#include <immintrin.h>
#endif

namespace spool {

namespace {

// Bit-reflected like the hardware: bit 31 of a register holds x^0 and bit 0 holds x^31,
// so multiplying by x is a right shift, and the x^32 that falls off becomes kPoly.
constexpr std::uint32_t kPoly = 0x82f63b78u;

constexpr std::uint32_t times_x_pow(std::uint32_t v, int k) {
  for (; k > 0; --k) v = (v >> 1) ^ ((v & 1u) ? kPoly : 0u);
  return v;
}

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
struct Tables {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (std::uint32_t b = 0; b < 256; ++b) t[0][b] = times_x_pow(b, 8);
    for (std::size_t k = 1; k < 8; ++k)
      for (std::uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  }
};
constexpr Tables kTables;

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // little-endian hosts only, like TensorFlow's own loop
  return v;
}

}  // namespace

std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  const auto& t = kTables.t;
  std::uint32_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    const std::uint64_t word = load<std::uint64_t>(p) ^ c;
    c = t[7][word & 0xff] ^ t[6][(word >> 8) & 0xff] ^ t[5][(word >> 16) & 0xff] ^ t[4][(word >> 24) & 0xff] ^
        t[3][(word >> 32) & 0xff] ^ t[2][(word >> 40) & 0xff] ^ t[1][(word >> 48) & 0xff] ^ t[0][word >> 56];
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xffu];
  return ~c;
}

#if SPOOL_CRC32C_X86
namespace {

// One crc32 instruction has a latency of three cycles but the CPU can start one per
// cycle, so a single chain runs at a third of the possible speed. Long inputs are cut
// into three adjacent blocks of `m` 8-byte words, one independent chain each, and the
// three CRCs joined: by linearity, crc(A B C) = crc(A) * x^(128m) ^ crc(B) * x^(64m) ^ crc(C)
// (mod P), with B's and C's chains started from zero.
constexpr std::size_t kMaxBlockWords = 256;  // 3 x 2 KiB: the join costs ~1% of a block
// Below 3 x 4 words the join (~15 cycles of latency) costs more than the chains save.
constexpr std::size_t kMinBlockWords = 4;

// kJoin[m] = {x^(128m - 33), x^(64m - 33)} mod P. clmul(crc, x^(k - 33)) is a 63-bit
// product that, read as 8 message bytes, stands for crc * x^(k - 32); feeding it to
// crc32 from zero multiplies by x^32 and reduces mod P, giving crc * x^k.
struct JoinConstants {
  alignas(16) std::array<std::array<std::uint64_t, 2>, kMaxBlockWords + 1> k{};
  constexpr JoinConstants() {
    std::uint32_t one_block = times_x_pow(0x80000000u, 64 - 33);
    std::uint32_t two_blocks = times_x_pow(0x80000000u, 128 - 33);
    for (std::size_t m = 1; m <= kMaxBlockWords; ++m) {
      k[m] = {two_blocks, one_block};
      one_block = times_x_pow(one_block, 64);
      two_blocks = times_x_pow(two_blocks, 128);
    }
  }
};
constexpr JoinConstants kJoin;

// One chain on the raw (already inverted) register: short inputs and tails.
__attribute__((target("sse4.2"))) std::uint32_t crc_one_chain(std::uint32_t c, const std::uint8_t* p,
                                                               std::size_t n) {
  std::uint64_t c64 = c;
  for (; n >= 8; p += 8, n -= 8) c64 = _mm_crc32_u64(c64, load<std::uint64_t>(p));
  c = static_cast<std::uint32_t>(c64);
  if (n & 4) c = _mm_crc32_u32(c, load<std::uint32_t>(p)), p += 4;
  if (n & 2) c = _mm_crc32_u16(c, load<std::uint16_t>(p)), p += 2;
  if (n & 1) c = _mm_crc32_u8(c, *p);
  return c;
}

__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t crc, const void* data, std::size_t n) {
  return ~crc_one_chain(~crc, static_cast<const std::uint8_t*>(data), n);
}

__attribute__((target("sse4.2,pclmul"))) std::uint32_t extend_sse42_pclmul(std::uint32_t crc, const void* data,
                                                                           std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = ~crc;
  while (n >= 3 * 8 * kMinBlockWords) {
    const std::size_t m = std::min(n / 24, kMaxBlockWords);
    const std::size_t len = 8 * m;
    const std::uint8_t* b = p + len;
    const std::uint8_t* e = p + 2 * len;
    std::uint64_t ca = c, cb = 0, cc = 0;
    for (std::size_t i = 0; i < len; i += 8) {
      ca = _mm_crc32_u64(ca, load<std::uint64_t>(p + i));
      cb = _mm_crc32_u64(cb, load<std::uint64_t>(b + i));
      cc = _mm_crc32_u64(cc, load<std::uint64_t>(e + i));
    }
    const __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(kJoin.k[m].data()));
    const __m128i pa = _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(ca)), k, 0x00);
    const __m128i pb = _mm_clmulepi64_si128(_mm_cvtsi64_si128(static_cast<long long>(cb)), k, 0x10);
    const auto joined = static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_xor_si128(pa, pb)));
    c = static_cast<std::uint32_t>(_mm_crc32_u64(0, joined) ^ cc);
    p += 3 * len;
    n -= 3 * len;
  }
  return ~crc_one_chain(c, p, n);
}

}  // namespace
#endif

std::span<const Crc32cImplementation> crc32c_implementations() {
  static const std::vector<Crc32cImplementation> supported = [] {
    std::vector<Crc32cImplementation> v;
#if SPOOL_CRC32C_X86
    __builtin_cpu_init();  // we may run before the runtime's own constructors
    if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul"))
      v.push_back({"sse4.2+pclmul", &extend_sse42_pclmul});
    if (__builtin_cpu_supports("sse4.2")) v.push_back({"sse4.2", &extend_sse42});
#endif
    v.push_back({"portable", &crc32c_extend_portable});
    return v;
  }();
  return supported;
}

namespace {

using ExtendFn = std::uint32_t (*)(std::uint32_t, const void*, std::size_t);

std::uint32_t resolve_and_extend(std::uint32_t crc, const void* data, std::size_t n);

// Starts at the resolver, which replaces itself on the first call. Constant-initialised,
// so it works even from other files' static constructors; a function-local static would
// cost a guard check and register spills on every call, which shows on 8-byte headers.
// Relaxed is enough: a thread that still sees the resolver just resolves again.
std::atomic<ExtendFn> g_extend{&resolve_and_extend};

std::uint32_t resolve_and_extend(std::uint32_t crc, const void* data, std::size_t n) {
  const ExtendFn fastest = crc32c_implementations().front().extend;
  g_extend.store(fastest, std::memory_order_relaxed);
  return fastest(crc, data, n);
}

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n) {
  return g_extend.load(std::memory_order_relaxed)(crc, data, n);
}

std::string_view crc32c_implementation() { return crc32c_implementations().front().name; }

}  // namespace spool
