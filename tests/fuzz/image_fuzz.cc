// libFuzzer target: arbitrary bytes as a PNG or JPEG file through read_image_info and
// decode_image, as stored and with one more option set the input's last byte picks
// (channels 1/3/4, 16-bit i32, JPEG's DCT ratio 2/4/8 and DCT method, Exif
// orientation), under small limits so that a decoder's memory stays bounded; once as
// they are, and once with every PNG chunk's CRC made good again, since otherwise nearly
// every mutation of a PNG stops at a CRC mismatch before reaching the chunk's fields.
//
// Contract checked: bad bytes throw spool::Error, never InternalError (anything else, a
// crash, a sanitizer report or an allocation past -rss_limit_mb is a bug); an image
// that decodes had a readable header, and is [H, W, C] of the asked dtype and channels
// with the header's sides (divided by the ratio, rounded up, for JPEG; swapped by an
// orientation of 5..8), 16-bit values within [0, 65535].
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "spool/data/image/decode_image.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;
using spool::fuzz::check;

std::uint32_t big_endian_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

// The CRC (of type and data) of each chunk after the signature, where the lengths allow.
std::string with_png_crcs_recomputed(std::string bytes) {
  std::size_t pos = 8;
  while (pos + 12 <= bytes.size()) {
    const std::uint32_t length = big_endian_u32(&bytes[pos]);
    if (length > bytes.size() - pos - 12) break;  // the last chunk, cut short
    const auto* typed = reinterpret_cast<const Bytef*>(&bytes[pos + 4]);
    const auto crc = static_cast<std::uint32_t>(crc32(0, typed, 4 + length));
    for (int i = 0; i < 4; ++i) bytes[pos + 8 + length + i] = static_cast<char>(crc >> (24 - 8 * i));
    pos += 12 + std::size_t{length};
  }
  return bytes;
}

DecodeOptions limited() { return DecodeOptions().max_pixels(std::int64_t{1} << 20).max_side(std::int64_t{1} << 14); }

// The variant `selector` picks, besides the default decode.
DecodeOptions variant(std::uint8_t selector) {
  static constexpr int kChannels[] = {1, 3, 4};
  static constexpr int kRatios[] = {2, 4, 8};
  DecodeOptions options = limited().channels(kChannels[selector % 3]);
  if (selector & 0x04) options.dtype(spool::DType::kI32);
  if (selector & 0x08) options.ratio(kRatios[(selector >> 4) % 3]);
  if (selector & 0x40) options.apply_exif_orientation(true);
  if (selector & 0x80) options.dct_method(selector & 0x01 ? DctMethod::kFloat : DctMethod::kIntegerFast);
  return options;
}

void check_image(const spool::Tensor& image, const std::optional<ImageInfo>& info, const DecodeOptions& options) {
  check(info.has_value(), "an image that decodes has a readable header");
  check(image.rank() == 3 && image.dtype() == options.dtype(), "rank 3 of the asked dtype");
  const int ratio = info->format == ImageFormat::kJpeg ? options.ratio() : 1;
  std::int64_t height = (info->height + ratio - 1) / ratio, width = (info->width + ratio - 1) / ratio;
  if (info->format == ImageFormat::kJpeg && options.apply_exif_orientation() && info->orientation >= 5) {
    std::swap(height, width);
  }
  check(image.dim(0) == height && image.dim(1) == width, "the header's sides");
  const std::int64_t channels = image.dim(2);
  if (options.channels() != 0) {
    check(channels == options.channels(), "the asked channels");
  } else if (info->format == ImageFormat::kPng) {
    check(channels == info->channels, "a PNG's stored channels");
  } else {
    check(channels == 1 || channels == 3, "a JPEG's channels as stored: gray or RGB");
  }
  if (image.dtype() == spool::DType::kI32) {
    const std::int32_t* v = image.data<std::int32_t>();
    check(std::all_of(v, v + image.numel(), [](std::int32_t x) { return x >= 0 && x <= 65535; }), "16-bit values");
  }
}

void decode(std::string_view bytes, std::uint8_t selector) {
  std::optional<ImageInfo> info;
  try {
    info = read_image_info(bytes, "fuzz");
    check(info->height >= 1 && info->width >= 1, "header sides");
    check(info->channels >= 1 && info->channels <= 4, "header channels");
    check(info->orientation >= 1 && info->orientation <= 8, "header orientation");
  } catch (const spool::InternalError&) {
    check(false, "no InternalError");
  } catch (const spool::Error&) {
  }
  for (const DecodeOptions& options : {limited(), variant(selector)}) {
    try {
      check_image(decode_image(bytes, "fuzz", options), info, options);
    } catch (const spool::InternalError&) {
      check(false, "no InternalError");
    } catch (const spool::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::uint8_t selector = size == 0 ? 0 : data[size - 1];
  decode(bytes, selector);
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0) {
    const std::string fixed = with_png_crcs_recomputed(bytes);
    if (fixed != bytes) decode(fixed, selector);
  }
  return 0;
}
