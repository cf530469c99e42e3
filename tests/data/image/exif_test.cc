#include "spool/data/image/exif.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/image/image_test_util.h"
#include "spool/data/image/jpeg.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

// An APP1 Exif payload with IFD0 holding (tag, type, count, value) entries.
struct Entry {
  std::uint16_t tag, type;
  std::uint32_t count, value;
};

std::string exif_payload(bool big_endian, const std::vector<Entry>& entries) {
  std::string tiff = big_endian ? "MM" : "II";
  const auto put = [&](std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
      const int shift = big_endian ? 8 * (bytes - 1 - i) : 8 * i;
      tiff += static_cast<char>((v >> shift) & 0xff);
    }
  };
  put(42, 2);
  put(8, 4);  // IFD0 right after the header
  put(static_cast<std::uint32_t>(entries.size()), 2);
  for (const Entry& e : entries) {
    put(e.tag, 2), put(e.type, 2), put(e.count, 4);
    if (e.type == 3) put(e.value, 2), put(0, 2);  // a SHORT sits left-justified in the value field
    else put(e.value, 4);
  }
  put(0, 4);  // no next IFD
  return std::string("Exif\0\0", 6) + tiff;
}

int orientation_of(const std::string& payload) {
  return exif_orientation(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                                        payload.size()));
}

TEST(ExifOrientation, ReadsTheTagInEitherByteOrder) {
  for (bool big : {false, true}) {
    for (std::uint32_t o = 1; o <= 8; ++o) {
      EXPECT_EQ(orientation_of(exif_payload(big, {{0x010f, 2, 4, 0}, {0x0112, 3, 1, o}, {0x011a, 5, 1, 200}})),
                static_cast<int>(o));
    }
  }
}

TEST(ExifOrientation, AnythingMalformedReadsAsUpright) {
  const std::string good = exif_payload(true, {{0x0112, 3, 1, 6}});
  ASSERT_EQ(orientation_of(good), 6);
  for (std::size_t n = 0; n < good.size(); ++n) {
    // Every cut that loses the tag's value reads 1; none reads out of bounds (ASan).
    const int o = orientation_of(good.substr(0, n));
    EXPECT_TRUE(o == 1 || (o == 6 && n >= 6 + 8 + 2 + 10)) << n;
  }
  EXPECT_EQ(orientation_of(exif_payload(true, {{0x0112, 4, 1, 6}})), 1);   // LONG, not SHORT
  EXPECT_EQ(orientation_of(exif_payload(true, {{0x0112, 3, 2, 6}})), 1);   // two values
  EXPECT_EQ(orientation_of(exif_payload(true, {{0x0112, 3, 1, 9}})), 1);   // out of range
  EXPECT_EQ(orientation_of(exif_payload(true, {{0x0112, 3, 1, 0}})), 1);
  EXPECT_EQ(orientation_of(exif_payload(false, {})), 1);
  std::string far = good;
  far[6 + 4] = '\x7f';  // IFD0 offset 0x7f000008: far past the end
  EXPECT_EQ(orientation_of(far), 1);
  std::string many = good;
  many[6 + 8] = '\xff', many[6 + 9] = '\xff';  // 65535 entries claimed, one present
  EXPECT_EQ(orientation_of(many), 6);           // found before running out
  std::string not_exif = good;
  not_exif[0] = 'X';
  EXPECT_EQ(orientation_of(not_exif), 1);
}

TEST(ApplyExifOrientation, AllEightOnATwoByThreeImage) {
  // 1 2 3
  // 4 5 6     (one channel)
  const Tensor image = Tensor::from_vector<std::int32_t>({1, 2, 3, 4, 5, 6}, Shape{2, 3, 1});
  struct Case {
    int orientation;
    Shape shape;
    std::vector<std::int32_t> pixels;
  };
  for (const Case& c : std::vector<Case>{{1, {2, 3, 1}, {1, 2, 3, 4, 5, 6}},
                                         {2, {2, 3, 1}, {3, 2, 1, 6, 5, 4}},
                                         {3, {2, 3, 1}, {6, 5, 4, 3, 2, 1}},
                                         {4, {2, 3, 1}, {4, 5, 6, 1, 2, 3}},
                                         {5, {3, 2, 1}, {1, 4, 2, 5, 3, 6}},
                                         {6, {3, 2, 1}, {4, 1, 5, 2, 6, 3}},
                                         {7, {3, 2, 1}, {6, 3, 5, 2, 4, 1}},
                                         {8, {3, 2, 1}, {3, 6, 2, 5, 1, 4}}}) {
    const Tensor out = apply_exif_orientation(image, c.orientation);
    EXPECT_EQ(out.shape(), c.shape) << c.orientation;
    EXPECT_EQ(out.to_vector<std::int32_t>(), c.pixels) << c.orientation;
  }
  EXPECT_THROW(apply_exif_orientation(image, 9), InvalidArgument);
  EXPECT_THROW(apply_exif_orientation(Tensor::zeros(Shape{2, 2}, DType::kU8), 2), InvalidArgument);
}

TEST(DecodeJpeg, HonoursAnExifOrientationWhenAsked) {
  testing::JpegSpec spec;
  spec.samples = testing::smooth_pixels(spec.height, spec.width, 3);
  spec.app1 = exif_payload(false, {{0x0112, 3, 1, 6}});
  const std::string file = write_jpeg(spec);
  EXPECT_EQ(read_jpeg_info(file, "o.jpg").orientation, 6);
  const Tensor stored = decode_jpeg(file, "o.jpg");
  EXPECT_EQ(stored.shape(), (Shape{48, 64, 3}));  // off by default, as TensorFlow
  const Tensor upright = decode_jpeg(file, "o.jpg", DecodeOptions().apply_exif_orientation(true));
  EXPECT_EQ(upright.shape(), (Shape{64, 48, 3}));
  EXPECT_EQ(upright.to_vector<std::uint8_t>(), apply_exif_orientation(stored, 6).to_vector<std::uint8_t>());
  // With DCT scaling too: the sides swap after scaling.
  EXPECT_EQ(decode_jpeg(file, "o.jpg", DecodeOptions().apply_exif_orientation(true).ratio(4)).shape(),
            (Shape{16, 12, 3}));
}

TEST(DecodeJpeg, TheNineLandscapeFilesLookTheSameUpright) {
  const std::filesystem::path shared = spool::testing::shared_data_dir();
  const std::filesystem::path dir = shared.empty() ? shared : shared / "jpeg";
  if (dir.empty() || !std::filesystem::exists(dir / "Landscape_1.jpg")) GTEST_SKIP() << "../shared/data/jpeg is absent";
  const auto decode = [&](int i, bool orient) {
    const std::string name = "Landscape_" + std::to_string(i) + ".jpg";
    return decode_jpeg(spool::testing::read_file((dir / name).string()), name,
                       DecodeOptions().ratio(8).apply_exif_orientation(orient));
  };
  const std::vector<std::uint8_t> reference = decode(1, true).to_vector<std::uint8_t>();
  for (int i = 0; i <= 8; ++i) {
    SCOPED_TRACE(i);
    const Tensor upright = decode(i, true);
    ASSERT_EQ(upright.shape(), (Shape{150, 225, 3}));
    const std::vector<std::uint8_t> pixels = upright.to_vector<std::uint8_t>();
    double diff = 0;
    for (std::size_t k = 0; k < pixels.size(); ++k) diff += std::abs(int{pixels[k]} - int{reference[k]});
    EXPECT_LT(diff / static_cast<double>(pixels.size()), 6.0);
    if (i >= 2) {  // as stored, they differ
      const Tensor stored = decode(i, false);
      if (stored.shape() == upright.shape()) {
        EXPECT_NE(stored.to_vector<std::uint8_t>(), pixels);
      }
    }
  }
}

}  // namespace
}  // namespace spool::data
