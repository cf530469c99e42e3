#include "spool/data/image/decode_image.h"

#include <gtest/gtest.h>

#include <string>

#include "data/image/image_test_util.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

const std::string& a_png() {
  static const std::string file = encode_png(Tensor::full(Shape{5, 7, 4}, 9, DType::kU8));
  return file;
}

const std::string& a_jpeg() {
  static const std::string file =
      encode_jpeg(Tensor::from_vector(testing::smooth_pixels(20, 30, 3), Shape{20, 30, 3}));
  return file;
}

template <typename E>
std::string error_of(const std::string& bytes, const std::string& source) {
  try {
    decode_image(bytes, source);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error of the expected type for " << source;
  return "";
}

TEST(DecodeImage, TellsTheFormatFromTheBytesNotTheName) {
  EXPECT_EQ(detect_image_format(a_png(), "looks.jpg"), ImageFormat::kPng);
  EXPECT_EQ(detect_image_format(a_jpeg(), "looks.png"), ImageFormat::kJpeg);
  EXPECT_EQ(decode_image(a_png(), "looks.jpg").shape(), (Shape{5, 7, 4}));
  EXPECT_EQ(decode_image(a_jpeg(), "looks.png").shape(), (Shape{20, 30, 3}));
  EXPECT_EQ(decode_image(a_png(), "x", DecodeOptions().channels(1)).shape(), (Shape{5, 7, 1}));
  EXPECT_EQ(decode_image(a_jpeg(), "x", DecodeOptions().channels(1).ratio(2)).shape(), (Shape{10, 15, 1}));
  EXPECT_EQ(decode_image(a_png(), "x", DecodeOptions().ratio(2)).shape(), (Shape{5, 7, 4}));  // PNG ignores it
  const ImageInfo png = read_image_info(a_png(), "x");
  EXPECT_EQ(png.format, ImageFormat::kPng);
  EXPECT_EQ(png.channels, 4);
  const ImageInfo jpeg = read_image_info(a_jpeg(), "x");
  EXPECT_EQ(jpeg.format, ImageFormat::kJpeg);
  EXPECT_EQ(jpeg.height, 20);
  EXPECT_EQ(jpeg.width, 30);
  EXPECT_EQ(jpeg.orientation, 1);
}

TEST(DecodeImage, OtherFormatsAreRefusedByName) {
  EXPECT_EQ(error_of<Unimplemented>("GIF89a\x01\x00", "anim.gif"),
            "decode_image: 'anim.gif' is a GIF image; only PNG and JPEG are decoded");
  EXPECT_EQ(error_of<Unimplemented>("BM\x36\x00\x00\x00", "old.bmp"),
            "decode_image: 'old.bmp' is a BMP image; only PNG and JPEG are decoded");
  EXPECT_EQ(error_of<Unimplemented>(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "new.webp"),
            "decode_image: 'new.webp' is a WebP image; only PNG and JPEG are decoded");
  EXPECT_EQ(error_of<DataLossError>("hello, world", "notes.txt record #3"),
            "decode_image: 'notes.txt record #3' (12 bytes) is not a PNG or JPEG image: it starts with 68 65 6c 6c "
            "6f 2c 20 77");
  EXPECT_EQ(error_of<DataLossError>("", "empty.png"),
            "decode_image: 'empty.png' (0 bytes) is not a PNG or JPEG image: it is empty");
  EXPECT_NE(error_of<DataLossError>(a_png().substr(0, 40), "cut.png").find("'cut.png'"), std::string::npos);
  EXPECT_NE(error_of<DataLossError>(a_jpeg().substr(0, 200), "cut.jpg").find("'cut.jpg'"), std::string::npos);
}

TEST(DecodeOptions, RefusesValuesThatCannotWork) {
  EXPECT_THROW(DecodeOptions().channels(2), InvalidArgument);
  EXPECT_THROW(DecodeOptions().channels(-1), InvalidArgument);
  EXPECT_THROW(DecodeOptions().dtype(DType::kF32), InvalidArgument);
  EXPECT_THROW(DecodeOptions().ratio(3), InvalidArgument);
  EXPECT_THROW(DecodeOptions().max_pixels(0), InvalidArgument);
  EXPECT_THROW(DecodeOptions().max_side(0), InvalidArgument);
  const DecodeOptions o = DecodeOptions().channels(3).dtype(DType::kI32).ratio(8).max_pixels(10).max_side(5);
  EXPECT_EQ(o.channels(), 3);
  EXPECT_EQ(o.dtype(), DType::kI32);
  EXPECT_EQ(o.ratio(), 8);
  EXPECT_EQ(o.max_pixels(), 10);
  EXPECT_EQ(o.max_side(), 5);
  EXPECT_FALSE(o.apply_exif_orientation());
}

}  // namespace
}  // namespace spool::data
