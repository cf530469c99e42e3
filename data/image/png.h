// PNG codec over libpng: every colour type (gray, gray+alpha, RGB, RGBA, palette with
// or without tRNS), bit depths 1, 2, 4, 8 and 16, interlaced or not.
//
//   Tensor img = decode_png(bytes, "horse01-0.png", DecodeOptions().channels(3));  // u8[300, 300, 3]
//   std::string file = encode_png(img);
//
// decode_png returns [H, W, C] u8, or i32 holding 16-bit values with dtype(kI32); see
// DecodeOptions for channels and limits. 16-bit samples become 8-bit by keeping the
// high byte, as tf.io.decode_png. Errors name the source (see decode_image.h).
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "spool/data/image/decode_image.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

Tensor decode_png(std::string_view bytes, std::string_view source, const DecodeOptions& options = {});
ImageInfo read_png_info(std::string_view bytes, std::string_view source);

// `image` is [H, W, C] with C in 1..4 (gray, gray+alpha, RGB, RGBA): u8 gives an
// 8-bit PNG, i32 (values in [0, 65535]) a 16-bit one. compression_level 0..9, or -1
// for zlib's default. Throws InvalidArgument for any other input.
std::string encode_png(const Tensor& image, int compression_level = 6);

}  // namespace spool::data
