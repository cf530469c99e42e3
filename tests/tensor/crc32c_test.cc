#include "spool/tensor/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace spool {
namespace {

// Bit at a time, straight from the definition: a reference that shares no table and
// no trick with any implementation under test.
std::uint32_t crc32c_bitwise(std::uint32_t crc, const std::uint8_t* p, std::size_t n) {
  std::uint32_t c = ~crc;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ ((c & 1u) ? 0x82f63b78u : 0u);
  }
  return ~c;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

// crc32c_extend itself first, then every implementation this CPU can run.
std::vector<Crc32cImplementation> all_paths() {
  std::vector<Crc32cImplementation> paths{{"crc32c_extend (dispatched)", &crc32c_extend}};
  for (const auto& impl : crc32c_implementations()) paths.push_back(impl);
  return paths;
}

TEST(Crc32cTest, KnownVectors) {
  std::vector<std::uint8_t> zeros(32, 0x00), ones(32, 0xff), ascending(32), descending(32);
  for (std::size_t i = 0; i < 32; ++i) {
    ascending[i] = static_cast<std::uint8_t>(i);
    descending[i] = static_cast<std::uint8_t>(31 - i);
  }
  // RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU.
  const std::vector<std::uint8_t> read_pdu = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  const std::string check = "123456789";
  for (const auto& path : all_paths()) {
    SCOPED_TRACE(std::string(path.name));
    EXPECT_EQ(path.extend(0, check.data(), check.size()), 0xE3069283u);
    EXPECT_EQ(path.extend(0, zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(path.extend(0, ones.data(), ones.size()), 0x62A8AB43u);
    EXPECT_EQ(path.extend(0, ascending.data(), ascending.size()), 0x46DD794Eu);
    EXPECT_EQ(path.extend(0, descending.data(), descending.size()), 0x113FDB5Cu);
    EXPECT_EQ(path.extend(0, read_pdu.data(), read_pdu.size()), 0xD9963A56u);
    EXPECT_EQ(path.extend(0, nullptr, 0), 0u);
  }
  EXPECT_EQ(crc32c(check), 0xE3069283u);
  EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);
}

// Lengths up to 3 x 2 KiB + more cover one-chain inputs, every partial three-chain block
// and the first full one; odd start addresses and a non-zero starting CRC come for free.
TEST(Crc32cTest, EveryPathMatchesBitwiseReferenceOnRandomData) {
  const auto data = random_bytes(7000 + 16, 1);
  const auto paths = all_paths();
  for (std::size_t n = 0; n <= 7000; ++n) {
    const std::size_t offset = (n * 7) % 16;
    const auto start = static_cast<std::uint32_t>(n * 0x9E3779B9u);
    const std::uint32_t want = crc32c_bitwise(start, data.data() + offset, n);
    for (const auto& path : paths) {
      const std::uint32_t got = path.extend(start, data.data() + offset, n);
      if (got != want) {
        ADD_FAILURE() << path.name << ": length " << n << " at offset " << offset << " gives " << std::hex << got
                      << ", want " << want;
        return;
      }
    }
  }
}

TEST(Crc32cTest, EveryPathMatchesPortableOnMegabytes) {
  const auto data = random_bytes((3 << 20) + 64, 2);
  for (std::size_t n : {std::size_t{1} << 20, (std::size_t{1} << 20) + 13, (std::size_t{3} << 20) + 5}) {
    for (std::size_t offset : {0, 1, 3, 8, 13}) {
      const std::uint32_t want = crc32c_extend_portable(0x12345678u, data.data() + offset, n);
      for (const auto& path : all_paths())
        EXPECT_EQ(path.extend(0x12345678u, data.data() + offset, n), want)
            << path.name << ": length " << n << " at offset " << offset;
    }
  }
}

TEST(Crc32cTest, ExtendEqualsWholeAtEverySplit) {
  const auto data = random_bytes(20000, 3);
  for (const auto& path : all_paths()) {
    const std::uint32_t whole = path.extend(0, data.data(), data.size());
    for (std::size_t split = 0; split <= data.size(); split += (split < 300 ? 1 : 97)) {
      const std::uint32_t head = path.extend(0, data.data(), split);
      EXPECT_EQ(path.extend(head, data.data() + split, data.size() - split), whole)
          << path.name << ": split at " << split;
    }
  }
  const std::string a = "hello, ", b = "world";
  EXPECT_EQ(crc32c_extend(crc32c(a), b.data(), b.size()), crc32c(a + b));
}

// On a CPU with SSE4.2 the dispatcher must not fall back to the slow path.
TEST(Crc32cTest, DispatchPicksFastestSupportedPath) {
  const auto impls = crc32c_implementations();
  ASSERT_FALSE(impls.empty());
  EXPECT_EQ(impls.back().name, "portable");
  EXPECT_EQ(crc32c_implementation(), impls.front().name);
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.2")) GTEST_SKIP() << "CPU lacks SSE4.2; only the portable path exists";
  const char* want = __builtin_cpu_supports("pclmul") ? "sse4.2+pclmul" : "sse4.2";
  EXPECT_EQ(crc32c_implementation(), want);
#else
  GTEST_SKIP() << "not x86-64; only the portable path exists";
#endif
}

TEST(Crc32cTest, MaskRoundTrips) {
  for (std::uint32_t c : {0u, 1u, 0xE3069283u, 0xffffffffu}) EXPECT_EQ(unmask_crc(mask_crc(c)), c);
  // ((0xE3069283 >> 15) | (0xE3069283 << 17)) + 0xa282ead8 = 0x2507C60D + 0xa282ead8, by hand.
  EXPECT_EQ(mask_crc(0xE3069283u), 0xC78AB0E5u);
  EXPECT_EQ(mask_crc(0u), kCrcMaskDelta);
  EXPECT_EQ(unmask_crc(0xC78AB0E5u), 0xE3069283u);
}

}  // namespace
}  // namespace spool
