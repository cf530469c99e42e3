// Helpers for the Example tests: hex dumps of wire bytes, and the payloads of a TFRecord
// file (plain or whole-file gzip) read without CRC checks, so that these tests do not
// depend on the TFRecord reader.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spool::testing {

// "0a 0c 0a ...": bytes as lower-case hex pairs separated by spaces.
inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out += ' ';
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// The inverse of hex(); spaces are ignored.
inline std::string from_hex(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size();) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// Framing: u64 length (little-endian), u32 masked crc of the length, payload, u32 crc.
inline std::vector<std::string> read_raw_frames(const std::string& path,
                                                std::size_t max_records = std::numeric_limits<std::size_t>::max()) {
  gzFile file = gzopen(path.c_str(), "rb");  // gzread passes plain files through unchanged
  if (file == nullptr) throw std::runtime_error("cannot open " + path);
  std::string all;
  char buf[1 << 16];
  for (int n; (n = gzread(file, buf, sizeof buf)) > 0;) all.append(buf, static_cast<std::size_t>(n));
  gzclose(file);
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at + 12 <= all.size() && out.size() < max_records) {
    std::uint64_t length;
    std::memcpy(&length, all.data() + at, 8);
    if (length > all.size() - at - 16) throw std::runtime_error("truncated frame in " + path);
    out.push_back(all.substr(at + 12, static_cast<std::size_t>(length)));
    at += 16 + static_cast<std::size_t>(length);
  }
  return out;
}

}  // namespace spool::testing
