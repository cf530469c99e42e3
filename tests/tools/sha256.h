// SHA-256 (FIPS 180-4) for tests that compare record payloads with digests written by
// other tools (MANIFEST.json, sha256sum, node's crypto). Test-only: Spool itself
// needs no cryptographic hash, so this is not worth a library dependency.
//
//   std::string hex = spool::testing::sha256_hex("abc");
//   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace spool::testing {

std::array<std::uint8_t, 32> sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);

}  // namespace spool::testing
