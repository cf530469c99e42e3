// Helpers for the TFRecord tests: an independent frame encoder (written from the
// format description, not from the writer), zlib/gzip compression straight through
// zlib, and reading a whole reader into strings.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/compression.h"
#include "spool/data/io/crc32c.h"
#include "spool/data/io/tfrecord_reader.h"

namespace spool::data::testutil {

inline std::string le(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

// One frame, from the four-line format description.
inline std::string frame(std::string_view payload) {
  const std::string length = le(payload.size(), 8);
  return length + le(mask_crc(crc32c(length)), 4) + std::string(payload) + le(mask_crc(crc32c(payload)), 4);
}

inline std::string frames(const std::vector<std::string>& payloads) {
  std::string out;
  for (const auto& p : payloads) out += frame(p);
  return out;
}

// `plain` as one zlib or gzip stream, through zlib itself.
inline std::string compress(const std::string& plain, Compression c, int level = Z_DEFAULT_COMPRESSION) {
  if (c == Compression::kNone) return plain;
  z_stream zs{};
  const int bits = c == Compression::kGzip ? 16 + MAX_WBITS : MAX_WBITS;
  if (deflateInit2(&zs, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, plain.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (ret != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  out.resize(zs.total_out);
  return out;
}

inline std::vector<std::string> read_all(TFRecordReader& reader) {
  std::vector<std::string> out;
  while (std::optional<Record> r = reader.next()) out.emplace_back(r->view());
  return out;
}

}  // namespace spool::data::testutil
