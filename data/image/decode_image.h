// decode_image: PNG or JPEG bytes -> an [H, W, C] image Tensor, the format told by
// the first bytes (never the name), as TensorFlow's tf.io.decode_image.
//
//   Tensor rgb = decode_image(bytes, "cats/a.png", DecodeOptions().channels(3));
//   Tensor small = decode_jpeg(bytes, "big.jpg", DecodeOptions().channels(3).ratio(4));
//
// Every decoder takes the image's `source` ("a.png", "train.tfrecord record #12"),
// used only in messages. Errors: DataLossError for truncated or corrupt bytes and for
// bytes that are no image, Unimplemented for GIF, BMP, WebP and for JPEG codings
// libjpeg lacks (12-bit), InvalidArgument for an image larger than the limits (checked
// on the header, before any pixel memory is allocated: decompression bombs). A failed
// decode never returns a partly filled image.
//
// Spool has no u16 dtype: dtype(DType::kI32) asks for 16-bit precision, values in
// [0, 65535] (8-bit sources are scaled by 257, as TensorFlow's dtype=uint16 does).
// Thread-safety: pure functions of their arguments; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "spool/tensor/tensor.h"

namespace spool::data {

enum class ImageFormat { kPng, kJpeg };

// JPEG's inverse DCT, as tf.io.decode_jpeg's dct_method names them. kIntegerAccurate
// (libjpeg's JDCT_ISLOW) is Spool's default: the output Pillow and libjpeg's djpeg
// give. kIntegerFast (JDCT_IFAST) is TensorFlow's default ("" and "INTEGER_FAST"):
// faster, and a few levels off the accurate output. kFloat is libjpeg's float DCT.
enum class DctMethod { kIntegerAccurate, kIntegerFast, kFloat };

// "INTEGER_ACCURATE", "INTEGER_FAST", "FLOAT" (TensorFlow's names; "" is TensorFlow's
// default, INTEGER_FAST); InvalidArgument otherwise.
DctMethod parse_dct_method(std::string_view name);

inline constexpr std::int64_t kDefaultMaxPixels = std::int64_t{1} << 28;
inline constexpr std::int64_t kDefaultMaxSide = std::int64_t{1} << 16;

// Options shared by decode_image, decode_png and decode_jpeg; setters check values.
class DecodeOptions {
 public:
  // 0: as stored (gray 1, gray+alpha 2, RGB 3, RGBA 4; a palette gives 3, or 4 with
  // tRNS); 1: gray; 3: RGB; 4: RGBA (opaque alpha added when the image has none).
  // Conversions follow tf.io.decode_png / decode_jpeg: gray -> RGB replicates, RGB ->
  // gray is libpng's 0.299 R + 0.587 G + 0.114 B (JPEG: the stored luma), alpha is
  // dropped when not asked for. JPEG with 4 is RGB plus opaque alpha.
  DecodeOptions& channels(int c);
  int channels() const { return channels_; }
  // kU8 (the default) or kI32 for 16-bit precision (see above).
  DecodeOptions& dtype(DType d);
  DType dtype() const { return dtype_; }
  // Refuse images with more than this many pixels, or a side longer than max_side;
  // JPEG checks both the stored and the (scaled) output size.
  DecodeOptions& max_pixels(std::int64_t n);
  std::int64_t max_pixels() const { return max_pixels_; }
  DecodeOptions& max_side(std::int64_t n);
  std::int64_t max_side() const { return max_side_; }
  // JPEG only: decode at 1/ratio of the size (1, 2, 4 or 8) in the DCT domain, far
  // cheaper than decoding fully and resizing; each side is ceil(side / ratio). PNG
  // ignores it. jpeg_ratio_for() picks the largest ratio that keeps a target size.
  DecodeOptions& ratio(int r);
  int ratio() const { return ratio_; }
  // JPEG only: the inverse DCT (see DctMethod); kIntegerAccurate by default.
  DecodeOptions& dct_method(DctMethod m) {
    dct_method_ = m;
    return *this;
  }
  DctMethod dct_method() const { return dct_method_; }
  // JPEG only: rotate/flip the pixels as the APP1 Exif orientation tag (1..8) says,
  // so the result is upright; sides swap for orientations 5..8. Off by default, as TF.
  DecodeOptions& apply_exif_orientation(bool on) {
    apply_exif_orientation_ = on;
    return *this;
  }
  bool apply_exif_orientation() const { return apply_exif_orientation_; }

 private:
  int channels_ = 0;
  DType dtype_ = DType::kU8;
  std::int64_t max_pixels_ = kDefaultMaxPixels;
  std::int64_t max_side_ = kDefaultMaxSide;
  int ratio_ = 1;
  bool apply_exif_orientation_ = false;
  DctMethod dct_method_ = DctMethod::kIntegerAccurate;
};

// What the header says, read without decoding pixels.
struct ImageInfo {
  ImageFormat format;
  std::int64_t height;
  std::int64_t width;
  int channels;       // as stored: 1..4 (a palette counts 3, or 4 with tRNS; CMYK 4)
  int bit_depth;      // 1, 2, 4, 8 or 16 for PNG; 8 for JPEG
  int orientation;    // JPEG Exif orientation 1..8; 1 when absent and for PNG
};

// Throws DataLossError for bytes that are no known image, Unimplemented for GIF/BMP/WebP.
ImageFormat detect_image_format(std::string_view bytes, std::string_view source);
ImageInfo read_image_info(std::string_view bytes, std::string_view source);
Tensor decode_image(std::string_view bytes, std::string_view source, const DecodeOptions& options = {});

namespace detail {
// Throws InvalidArgument naming the source when height x width exceeds the options' limits.
void check_image_size(std::int64_t height, std::int64_t width, const DecodeOptions& options, std::string_view what,
                      std::string_view source);
// A u8 [H, W, C] image as i32 with the 16-bit scale (v * 257), for dtype(kI32).
Tensor widen_to_16_bit(const Tensor& image);
}  // namespace detail

}  // namespace spool::data
