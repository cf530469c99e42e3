#include "spool/data/image/decode_image.h"

#include <cstring>
#include <string>

#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "spool/tensor/error.h"

namespace spool::data {

DecodeOptions& DecodeOptions::channels(int c) {
  SPOOL_CHECK(c == 0 || c == 1 || c == 3 || c == 4, InvalidArgument, "DecodeOptions: channels ", c,
              " is not 0 (as stored), 1, 3 or 4");
  channels_ = c;
  return *this;
}

DecodeOptions& DecodeOptions::dtype(DType d) {
  SPOOL_CHECK(d == DType::kU8 || d == DType::kI32, InvalidArgument, "DecodeOptions: dtype ", dtype_name(d),
              " is not u8 or i32 (16-bit values)");
  dtype_ = d;
  return *this;
}

DecodeOptions& DecodeOptions::max_pixels(std::int64_t n) {
  SPOOL_CHECK(n >= 1, InvalidArgument, "DecodeOptions: max_pixels ", n, " must be at least 1");
  max_pixels_ = n;
  return *this;
}

DecodeOptions& DecodeOptions::max_side(std::int64_t n) {
  SPOOL_CHECK(n >= 1, InvalidArgument, "DecodeOptions: max_side ", n, " must be at least 1");
  max_side_ = n;
  return *this;
}

DecodeOptions& DecodeOptions::ratio(int r) {
  SPOOL_CHECK(r == 1 || r == 2 || r == 4 || r == 8, InvalidArgument, "DecodeOptions: ratio ", r,
              " is not 1, 2, 4 or 8");
  ratio_ = r;
  return *this;
}

DctMethod parse_dct_method(std::string_view name) {
  if (name.empty() || name == "INTEGER_FAST") return DctMethod::kIntegerFast;
  if (name == "INTEGER_ACCURATE") return DctMethod::kIntegerAccurate;
  if (name == "FLOAT") return DctMethod::kFloat;
  SPOOL_THROW(InvalidArgument, "dct_method ", spool::quoted(std::string(name)),
              " is not INTEGER_FAST, INTEGER_ACCURATE or FLOAT");
}

ImageFormat detect_image_format(std::string_view bytes, std::string_view source) {
  const auto starts = [&](std::string_view magic) { return bytes.substr(0, magic.size()) == magic; };
  if (starts("\x89PNG\r\n\x1a\n")) return ImageFormat::kPng;
  if (starts("\xff\xd8\xff")) return ImageFormat::kJpeg;
  const std::string name = spool::quoted(std::string(source));
  const char* other = starts("GIF87a") || starts("GIF89a")                               ? "GIF"
                      : starts("BM")                                                      ? "BMP"
                      : starts("RIFF") && bytes.size() >= 12 && bytes.substr(8, 4) == "WEBP" ? "WebP"
                                                                                          : nullptr;
  SPOOL_CHECK(other == nullptr, Unimplemented, "decode_image: ", name, " is a ", other,
              " image; only PNG and JPEG are decoded");
  std::string head;
  for (unsigned char c : bytes.substr(0, 8)) {
    static constexpr char kHex[] = "0123456789abcdef";
    head += {' ', kHex[c >> 4], kHex[c & 15]};
  }
  SPOOL_THROW(DataLossError, "decode_image: ", name, " (", bytes.size(), " bytes) is not a PNG or JPEG image: ",
              bytes.empty() ? std::string("it is empty") : "it starts with" + head);
}

ImageInfo read_image_info(std::string_view bytes, std::string_view source) {
  return detect_image_format(bytes, source) == ImageFormat::kPng ? read_png_info(bytes, source)
                                                                 : read_jpeg_info(bytes, source);
}

Tensor decode_image(std::string_view bytes, std::string_view source, const DecodeOptions& options) {
  return detect_image_format(bytes, source) == ImageFormat::kPng ? decode_png(bytes, source, options)
                                                                 : decode_jpeg(bytes, source, options);
}

namespace detail {

void check_image_size(std::int64_t height, std::int64_t width, const DecodeOptions& options, std::string_view what,
                      std::string_view source) {
  const std::string name = spool::quoted(std::string(source));
  SPOOL_CHECK(height >= 1 && width >= 1, DataLossError, what, ": ", name, " declares an empty image of ", width, "x",
              height, " pixels");
  SPOOL_CHECK(height <= options.max_side() && width <= options.max_side(), InvalidArgument, what, ": ", name, " is ",
              width, "x", height, " pixels, a side longer than max_side ", options.max_side(),
              " (refused before decoding; raise DecodeOptions::max_side to allow it)");
  SPOOL_CHECK(height * width <= options.max_pixels(), InvalidArgument, what, ": ", name, " is ", width, "x", height,
              " = ", height * width, " pixels, more than max_pixels ", options.max_pixels(),
              " (refused before decoding; raise DecodeOptions::max_pixels to allow it)");
}

Tensor widen_to_16_bit(const Tensor& image) {
  Tensor wide = Tensor::empty(image.shape(), DType::kI32);
  const std::uint8_t* in = image.data<std::uint8_t>();
  std::int32_t* out = wide.data<std::int32_t>();
  for (std::int64_t i = 0; i < image.numel(); ++i) out[i] = in[i] * 257;
  return wide;
}

}  // namespace detail
}  // namespace spool::data
