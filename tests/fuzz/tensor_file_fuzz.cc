// libFuzzer target: arbitrary bytes through the tensor file (checkpoint) decoder,
// twice: as they are, and with every entry's CRC made good again, since otherwise
// nearly every mutation stops at a CRC mismatch before reaching the header's fields.
//
// Contract checked: malformed input throws spool::Error (anything else, a crash, a
// sanitizer report or an allocation past -rss_limit_mb is a bug), and whatever decodes
// re-encodes to bytes that decode to the same names, dtypes, shapes and values.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "spool/tensor/crc32c.h"
#include "spool/tensor/error.h"
#include "spool/tensor/tensor_file.h"

namespace {

using spool::fuzz::check;

bool same(const spool::Tensor& a, const spool::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const spool::Tensor x = a.contiguous(), y = b.contiguous();
  const auto n = static_cast<std::size_t>(x.numel()) * x.element_size();
  return n == 0 || std::memcmp(x.raw_data(), y.raw_data(), n) == 0;
}

// The entries' CRCs recomputed where the lengths allow (layout: tensor/tensor_file.h).
std::string with_crcs_recomputed(std::string bytes) {
  std::size_t pos = 16;  // magic, version, count
  while (pos + 4 <= bytes.size()) {
    std::uint32_t header_bytes;
    std::memcpy(&header_bytes, &bytes[pos], 4);
    const std::size_t header = pos + 4;
    if (header_bytes > bytes.size() - header || bytes.size() - header - header_bytes < 8) break;
    std::uint64_t data_bytes;
    std::memcpy(&data_bytes, &bytes[header + header_bytes], 8);
    const std::size_t data = header + header_bytes + 8;
    if (data_bytes > bytes.size() - data || bytes.size() - data - data_bytes < 4) break;
    const std::uint32_t crc = spool::mask_crc(
        spool::crc32c_extend(spool::crc32c(&bytes[header], header_bytes), &bytes[data], static_cast<std::size_t>(data_bytes)));
    std::memcpy(&bytes[data + data_bytes], &crc, 4);
    pos = data + static_cast<std::size_t>(data_bytes) + 4;
  }
  return bytes;
}

void decode_and_round_trip(std::string_view bytes) {
  std::vector<spool::NamedTensor> decoded;
  try {
    decoded = spool::decode_tensors(bytes, "fuzz.tensors");
  } catch (const spool::Error&) {
    return;
  }
  const std::vector<spool::NamedTensor> again = spool::decode_tensors(spool::encode_tensors(decoded), "again");
  check(again.size() == decoded.size(), "tensor count after a round trip");
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    check(again[i].name == decoded[i].name, "name after a round trip");
    check(same(again[i].tensor, decoded[i].tensor), "tensor after a round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  decode_and_round_trip(bytes);
  decode_and_round_trip(with_crcs_recomputed(bytes));
  return 0;
}
