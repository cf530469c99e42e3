// JPEG codec over libjpeg-turbo: baseline, progressive, arithmetic-coded, grayscale,
// and 4-component CMYK/YCCK files (converted to RGB as tf.io.decode_jpeg does, Adobe's
// inverted CMYK included), with optional DCT-domain downscaling and EXIF orientation.
//
//   ImageInfo info = read_image_info(bytes, "photo.jpg");                 // 1024 x 768
//   int ratio = jpeg_ratio_for(info.height, info.width, 224, 224);        // 2
//   Tensor img = decode_jpeg(bytes, "photo.jpg", DecodeOptions().channels(3).ratio(ratio));
//   std::string file = encode_jpeg(img, 90);
//
// decode_jpeg returns [H, W, C] u8 (i32 with dtype(kI32), see decode_image.h). A
// truncated or corrupt file is a DataLossError naming the source even where libjpeg
// would only warn ("Premature end of JPEG file") and fill the rest with gray;
// 12-bit files are Unimplemented (this libjpeg decodes 8-bit samples).
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spool/data/image/decode_image.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

Tensor decode_jpeg(std::string_view bytes, std::string_view source, const DecodeOptions& options = {});
ImageInfo read_jpeg_info(std::string_view bytes, std::string_view source);

// The largest DCT ratio (8, 4, 2 or 1) whose output, ceil(side / ratio), is still at
// least min_height x min_width for a stored height x width image: decode with it, then
// resize the rest of the way.
int jpeg_ratio_for(std::int64_t height, std::int64_t width, std::int64_t min_height, std::int64_t min_width);

// `image` is [H, W, C] u8 with C = 1 (gray) or 3 (RGB); quality in 1..100. Baseline
// JPEG with 4:2:0 chroma subsampling. Throws InvalidArgument for any other input.
std::string encode_jpeg(const Tensor& image, int quality = 95);

}  // namespace spool::data
