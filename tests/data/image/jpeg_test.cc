#include "spool/data/image/jpeg.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/image/image_test_util.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

using testing::JpegSpec;
using testing::smooth_pixels;
using testing::write_jpeg;

struct Difference {
  double mean = 0;
  int max = 0;
};

Difference difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  Difference d;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const int e = std::abs(int{a[i]} - int{b[i]});
    d.mean += e;
    d.max = std::max(d.max, e);
  }
  d.mean /= static_cast<double>(std::max<std::size_t>(1, a.size()));
  return d;
}

TEST(EncodeJpeg, RoundTripsRgbAndGrayWithASmallError) {
  for (int channels : {3, 1}) {
    const std::vector<std::uint8_t> pixels = smooth_pixels(48, 64, channels);
    const Tensor source = Tensor::from_vector(pixels, Shape{48, 64, channels});
    const std::string file = encode_jpeg(source, 95);
    ASSERT_EQ(file.substr(0, 2), "\xff\xd8");
    const Tensor decoded = decode_jpeg(file, "rt.jpg");
    ASSERT_EQ(decoded.shape(), source.shape());
    const Difference d = difference(decoded.to_vector<std::uint8_t>(), pixels);
    EXPECT_LT(d.mean, 1.5) << channels;
    EXPECT_LT(d.max, 12) << channels;
    EXPECT_LT(encode_jpeg(source, 10).size(), file.size());  // quality is honoured
  }
}

TEST(EncodeJpeg, RefusesWhatItCannotEncode) {
  EXPECT_THROW(encode_jpeg(Tensor::zeros(Shape{4, 4, 4}, DType::kU8)), InvalidArgument);
  EXPECT_THROW(encode_jpeg(Tensor::zeros(Shape{4, 4, 3}, DType::kI32)), InvalidArgument);
  EXPECT_THROW(encode_jpeg(Tensor::zeros(Shape{4, 4, 3}, DType::kU8), 0), InvalidArgument);
  EXPECT_THROW(encode_jpeg(Tensor::zeros(Shape{0, 4, 3}, DType::kU8)), InvalidArgument);
}

TEST(DecodeJpeg, ConvertsBetweenGrayRgbAndRgba) {
  const std::vector<std::uint8_t> rgb = smooth_pixels(48, 64, 3);
  const std::string color = encode_jpeg(Tensor::from_vector(rgb, Shape{48, 64, 3}));
  const Tensor full = decode_jpeg(color, "c.jpg", DecodeOptions().channels(3));
  // Gray from color is the stored luma: 0.299 R + 0.587 G + 0.114 B of the source.
  const std::vector<std::uint8_t> gray = decode_jpeg(color, "c.jpg", DecodeOptions().channels(1)).to_vector<std::uint8_t>();
  ASSERT_EQ(gray.size(), 48u * 64u);
  std::vector<std::uint8_t> luma;
  for (std::size_t i = 0; i < gray.size(); ++i) {
    luma.push_back(static_cast<std::uint8_t>(std::lround(0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2])));
  }
  EXPECT_LT(difference(gray, luma).mean, 1.5);
  // RGBA is the RGB decode plus opaque alpha.
  const Tensor rgba = decode_jpeg(color, "c.jpg", DecodeOptions().channels(4));
  ASSERT_EQ(rgba.shape(), (Shape{48, 64, 4}));
  EXPECT_EQ(rgba.slice(2, 0, 3).to_vector<std::uint8_t>(), full.to_vector<std::uint8_t>());
  const std::vector<std::uint8_t> alpha = rgba.slice(2, 3, 4).to_vector<std::uint8_t>();
  EXPECT_TRUE(std::all_of(alpha.begin(), alpha.end(), [](std::uint8_t a) { return a == 255; }));
  // A gray file decodes to 1 channel as stored, and to 3 equal channels on request.
  const std::string mono = encode_jpeg(Tensor::from_vector(smooth_pixels(48, 64, 1), Shape{48, 64, 1}));
  EXPECT_EQ(decode_jpeg(mono, "g.jpg").dim(2), 1);
  const Tensor widened = decode_jpeg(mono, "g.jpg", DecodeOptions().channels(3));
  const std::vector<std::uint8_t> gray1 = decode_jpeg(mono, "g.jpg").to_vector<std::uint8_t>();
  for (int c = 0; c < 3; ++c) EXPECT_EQ(widened.slice(2, c, c + 1).to_vector<std::uint8_t>(), gray1);
  // 16-bit range on request: v * 257.
  const std::vector<std::int32_t> wide =
      decode_jpeg(mono, "g.jpg", DecodeOptions().dtype(DType::kI32)).to_vector<std::int32_t>();
  for (std::size_t i = 0; i < wide.size(); ++i) ASSERT_EQ(wide[i], gray1[i] * 257);
}

// The RGB pixels of `file` decoded by libjpeg itself with `method`: the reference.
std::vector<std::uint8_t> libjpeg_rgb(const std::string& file, J_DCT_METHOD method) {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(file.data()), static_cast<unsigned long>(file.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  cinfo.dct_method = method;
  jpeg_start_decompress(&cinfo);
  std::vector<std::uint8_t> out(std::size_t{cinfo.output_width} * cinfo.output_height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out.data() + std::size_t{cinfo.output_scanline} * cinfo.output_width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

// dct_method reaches libjpeg: each method gives libjpeg's own output for it, and
// TensorFlow's default (INTEGER_FAST) is a few levels off the accurate one.
TEST(DecodeJpeg, DctMethodIsTensorFlowsChoiceOfInverseDct) {
  JpegSpec spec;
  spec.height = 64;
  spec.width = 96;
  spec.samples = smooth_pixels(spec.height, spec.width, 3);
  for (std::size_t i = 0; i < spec.samples.size(); i += 7) spec.samples[i] = static_cast<std::uint8_t>(i * 31);  // edges
  const std::string file = write_jpeg(spec);
  const std::vector<std::uint8_t> accurate = decode_jpeg(file, "d.jpg", DecodeOptions().channels(3)).to_vector<std::uint8_t>();
  const std::vector<std::uint8_t> fast =
      decode_jpeg(file, "d.jpg", DecodeOptions().channels(3).dct_method(DctMethod::kIntegerFast)).to_vector<std::uint8_t>();
  const std::vector<std::uint8_t> floating =
      decode_jpeg(file, "d.jpg", DecodeOptions().channels(3).dct_method(DctMethod::kFloat)).to_vector<std::uint8_t>();
  EXPECT_EQ(accurate, libjpeg_rgb(file, JDCT_ISLOW));
  EXPECT_EQ(fast, libjpeg_rgb(file, JDCT_IFAST));
  EXPECT_EQ(floating, libjpeg_rgb(file, JDCT_FLOAT));
  EXPECT_NE(fast, accurate);
  EXPECT_LT(difference(fast, accurate).mean, 2.0);
  EXPECT_EQ(parse_dct_method(""), DctMethod::kIntegerFast);
  EXPECT_EQ(parse_dct_method("INTEGER_ACCURATE"), DctMethod::kIntegerAccurate);
  EXPECT_EQ(parse_dct_method("FLOAT"), DctMethod::kFloat);
  EXPECT_THROW(parse_dct_method("integer_fast"), InvalidArgument);
}

TEST(DecodeJpeg, Progressive) {
  JpegSpec spec;
  spec.progressive = true;
  spec.samples = smooth_pixels(spec.height, spec.width, 3);
  const std::string file = write_jpeg(spec);
  ASSERT_NE(file.find("\xff\xc2"), std::string::npos) << "libjpeg did not write SOF2";
  const Tensor image = decode_jpeg(file, "p.jpg");
  ASSERT_EQ(image.shape(), (Shape{48, 64, 3}));
  EXPECT_LT(difference(image.to_vector<std::uint8_t>(), spec.samples).mean, 1.5);
}

// The CMYK -> RGB TensorFlow applies; Adobe files store inverted inks.
std::vector<std::uint8_t> cmyk_to_rgb(const std::vector<std::uint8_t>& cmyk, bool adobe) {
  std::vector<std::uint8_t> rgb;
  for (std::size_t i = 0; i < cmyk.size(); i += 4) {
    const int k = cmyk[i + 3];
    for (int c = 0; c < 3; ++c) {
      const int v = cmyk[i + c];
      rgb.push_back(static_cast<std::uint8_t>(adobe ? k * v / 255 : (255 - k) * (255 - v) / 255));
    }
  }
  return rgb;
}

TEST(DecodeJpeg, CmykAndYcckBecomeRgb) {
  std::vector<std::uint8_t> cmyk = smooth_pixels(48, 64, 4);
  for (std::size_t i = 3; i < cmyk.size(); i += 4) cmyk[i] = static_cast<std::uint8_t>(255 - cmyk[i] / 2);  // light K
  struct Case {
    J_COLOR_SPACE space;
    bool adobe;
  };
  for (const Case& c : {Case{JCS_CMYK, true}, Case{JCS_YCCK, true}, Case{JCS_CMYK, false}}) {
    SCOPED_TRACE(std::string(c.space == JCS_YCCK ? "YCCK" : "CMYK") + (c.adobe ? " with Adobe marker" : ""));
    JpegSpec spec;
    spec.components = 4;
    spec.in_space = JCS_CMYK;
    spec.jpeg_space = c.space;
    spec.write_adobe_marker = c.adobe;
    spec.samples = cmyk;
    const std::string file = write_jpeg(spec);
    ASSERT_EQ(read_jpeg_info(file, "k.jpg").channels, 4);
    const Tensor rgb = decode_jpeg(file, "k.jpg");
    ASSERT_EQ(rgb.shape(), (Shape{48, 64, 3}));
    EXPECT_LT(difference(rgb.to_vector<std::uint8_t>(), cmyk_to_rgb(cmyk, c.adobe)).mean, 2.0);
    EXPECT_EQ(decode_jpeg(file, "k.jpg", DecodeOptions().channels(1)).shape(), (Shape{48, 64, 1}));
    EXPECT_EQ(decode_jpeg(file, "k.jpg", DecodeOptions().channels(4)).shape(), (Shape{48, 64, 4}));
  }
}

// Means of ratio x ratio blocks (partial blocks at the right and bottom edges).
std::vector<std::uint8_t> area_average(const Tensor& image, int ratio) {
  const std::int64_t h = image.dim(0), w = image.dim(1), c = image.dim(2);
  const std::vector<std::uint8_t> in = image.to_vector<std::uint8_t>();
  std::vector<std::uint8_t> out;
  for (std::int64_t y = 0; y < h; y += ratio) {
    for (std::int64_t x = 0; x < w; x += ratio) {
      for (std::int64_t k = 0; k < c; ++k) {
        double sum = 0;
        int n = 0;
        for (std::int64_t yy = y; yy < std::min(h, y + ratio); ++yy) {
          for (std::int64_t xx = x; xx < std::min(w, x + ratio); ++xx, ++n) sum += in[(yy * w + xx) * c + k];
        }
        out.push_back(static_cast<std::uint8_t>(std::lround(sum / n)));
      }
    }
  }
  return out;
}

TEST(DecodeJpeg, DctScalingGivesCeilSidesCloseToAnAreaAverage) {
  const Tensor source = Tensor::from_vector(smooth_pixels(67, 101, 3), Shape{67, 101, 3});
  const std::string file = encode_jpeg(source, 95);
  const Tensor full = decode_jpeg(file, "s.jpg");
  for (int ratio : {2, 4, 8}) {
    SCOPED_TRACE(ratio);
    const Tensor small = decode_jpeg(file, "s.jpg", DecodeOptions().ratio(ratio));
    ASSERT_EQ(small.shape(), (Shape{(67 + ratio - 1) / ratio, (101 + ratio - 1) / ratio, 3}));
    const Difference d = difference(small.to_vector<std::uint8_t>(), area_average(full, ratio));
    EXPECT_LT(d.mean, 2.0);
    EXPECT_LT(d.max, 24);
  }
}

TEST(JpegRatioFor, PicksTheLargestRatioKeepingTheTarget) {
  EXPECT_EQ(jpeg_ratio_for(768, 1024, 224, 224), 2);    // 384x512; 1/4 would give 192 rows
  EXPECT_EQ(jpeg_ratio_for(1000, 1000, 100, 100), 8);   // 125x125
  EXPECT_EQ(jpeg_ratio_for(1333, 2000, 167, 250), 8);   // ceil(1333 / 8) = 167
  EXPECT_EQ(jpeg_ratio_for(1333, 2000, 168, 250), 4);
  EXPECT_EQ(jpeg_ratio_for(100, 100, 200, 200), 1);     // upscaling is the resize's job
  EXPECT_EQ(jpeg_ratio_for(300, 300, 150, 150), 2);
  EXPECT_THROW(jpeg_ratio_for(0, 10, 1, 1), InvalidArgument);
}

void expect_data_loss(const std::string& bytes, const std::string& source, const std::string& what) {
  testing::expect_data_loss([](std::string_view b, std::string_view s) { return decode_jpeg(b, s); }, bytes, source, what);
}

TEST(DecodeJpeg, EveryTruncationIsADataLossErrorNamingTheSource) {
  for (bool progressive : {false, true}) {
    JpegSpec spec;
    spec.width = 24;
    spec.height = 16;
    spec.progressive = progressive;
    spec.samples = smooth_pixels(spec.height, spec.width, 3);
    const std::string file = write_jpeg(spec);
    for (std::size_t n = 0; n < file.size(); ++n) {
      expect_data_loss(file.substr(0, n), "train.tfrecord record #7", "prefix of " + std::to_string(n));
    }
  }
}

TEST(DecodeJpeg, CorruptHeadersAndScansAreDataLossErrors) {
  JpegSpec spec;
  spec.samples = smooth_pixels(spec.height, spec.width, 3);
  const std::string file = write_jpeg(spec);
  const std::size_t sos = file.find("\xff\xda");
  ASSERT_NE(sos, std::string::npos);
  std::string marker_in_scan = file;
  marker_in_scan.replace(sos + 40, 2, "\xff\xd9");  // EOI in the middle of the entropy-coded data
  expect_data_loss(marker_in_scan, "cut.jpg", "EOI inside the scan");
  std::string bad_sof = file;
  const std::size_t sof = file.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  bad_sof[sof + 9] = 7;  // 7 components
  expect_data_loss(bad_sof, "sof.jpg", "SOF with 7 components");
  expect_data_loss(std::string("\xff\xd8\xff\xe0garbage", 11), "junk.jpg", "junk after SOI");
  expect_data_loss(file.substr(0, sos), "no-scan.jpg", "no scan");
  // A sample precision JPEG does not define is damage (found by running mutants: it
  // was reported as unimplemented); 12 bits is valid JPEG this libjpeg does not decode.
  for (const unsigned char precision : {136, 182, 255, 0, 1, 17}) {
    std::string bad_precision = file;
    bad_precision[sof + 4] = static_cast<char>(precision);
    expect_data_loss(bad_precision, "p.jpg", "precision " + std::to_string(precision));
  }
  std::string twelve = file;
  twelve[sof + 4] = 12;
  EXPECT_THROW(decode_jpeg(twelve, "12.jpg"), Unimplemented);
}

TEST(DecodeJpeg, ADecompressionBombIsRefusedFromItsHeader) {
  JpegSpec spec;
  spec.samples = smooth_pixels(spec.height, spec.width, 3);
  std::string file = write_jpeg(spec);
  const std::size_t sof = file.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  file.replace(sof + 5, 4, "\xfd\xe8\xfd\xe8");  // height 65000, width 65000
  try {
    decode_jpeg(file, "bomb.jpg");
    FAIL() << "a 65000x65000 header was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'bomb.jpg' is 65000x65000 = 4225000000 pixels, more than max_pixels"),
              std::string::npos)
        << e.what();
  }
  const std::string small = encode_jpeg(Tensor::zeros(Shape{16, 16, 3}, DType::kU8));
  EXPECT_THROW(decode_jpeg(small, "s.jpg", DecodeOptions().max_pixels(255)), InvalidArgument);
  EXPECT_EQ(decode_jpeg(small, "s.jpg", DecodeOptions().max_pixels(256)).dim(0), 16);
}

// --- Real files (see ../shared/data/README.md) ---

std::filesystem::path jpeg_dir() {
  const std::filesystem::path shared = spool::testing::shared_data_dir();
  return shared.empty() ? shared : shared / "jpeg";
}

TEST(DecodeJpeg, EveryRealFileInTheSharedFolder) {
  const std::filesystem::path dir = jpeg_dir();
  if (dir.empty() || !std::filesystem::is_directory(dir)) GTEST_SKIP() << "../shared/data/jpeg is absent";
  int decoded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext != ".jpg") continue;
    SCOPED_TRACE(name);
    const std::string bytes = spool::testing::read_file(entry.path().string());
    if (name == "monkey12.jpg") {  // 12-bit samples: this libjpeg decodes 8-bit only
      EXPECT_THROW(decode_jpeg(bytes, name), Unimplemented);
      continue;
    }
    const ImageInfo info = read_jpeg_info(bytes, name);
    const Tensor image = decode_jpeg(bytes, name, DecodeOptions().channels(3));
    ASSERT_EQ(image.shape(), (Shape{info.height, info.width, 3}));
    const std::vector<std::uint8_t> pixels = image.to_vector<std::uint8_t>();
    EXPECT_NE(*std::min_element(pixels.begin(), pixels.end()), *std::max_element(pixels.begin(), pixels.end()));
    ++decoded;
  }
  EXPECT_EQ(decoded, 32);
  // A few sizes from the folder's INDEX.json.
  const auto shape_of = [&](const char* name) {
    return decode_jpeg(spool::testing::read_file((dir / name).string()), name).shape();
  };
  EXPECT_EQ(shape_of("raccoon-129.jpg"), (Shape{315, 639, 3}));
  EXPECT_EQ(shape_of("raccoon-150.jpg"), (Shape{183, 275, 1}));  // gray
  EXPECT_EQ(shape_of("pil_sample_cmyk.jpg"), (Shape{100, 100, 3}));
  EXPECT_EQ(shape_of("testimgari.jpg"), (Shape{149, 227, 3}));  // arithmetic coding
}

TEST(DecodeJpeg, RealAdobeCmykFilesAreNotInverted) {
  const std::filesystem::path dir = jpeg_dir();
  if (dir.empty() || !std::filesystem::exists(dir / "pil_sample_cmyk.jpg")) GTEST_SKIP() << "../shared/data/jpeg is absent";
  // Pillow's sample says "RED" in red on black. Read with the wrong ink sense it
  // would be cyan on white.
  const std::vector<std::uint8_t> px =
      decode_jpeg(spool::testing::read_file((dir / "pil_sample_cmyk.jpg").string()), "cmyk").to_vector<std::uint8_t>();
  std::size_t red = 0, black = 0, n = px.size() / 3;
  for (std::size_t i = 0; i < px.size(); i += 3) {
    red += px[i] > 150 && px[i + 1] < 100 && px[i + 2] < 100;
    black += px[i] < 60 && px[i + 1] < 60 && px[i + 2] < 60;
  }
  EXPECT_GT(red, n / 20);
  EXPECT_GT(black, n / 2);
  // The Wikipedia photo is a park: more green than blue, and mostly light.
  const std::vector<std::uint8_t> park =
      decode_jpeg(spool::testing::read_file((dir / "Channel_digital_image_CMYK_color.jpg").string()), "park")
          .to_vector<std::uint8_t>();
  double sum[3] = {0, 0, 0};
  for (std::size_t i = 0; i < park.size(); ++i) sum[i % 3] += park[i];
  const double pixels = static_cast<double>(park.size() / 3);
  EXPECT_GT(sum[1] / pixels, sum[2] / pixels + 10);
  EXPECT_GT(sum[1] / pixels, 100);
}

}  // namespace
}  // namespace spool::data
