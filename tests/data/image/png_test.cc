#include "spool/data/image/png.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "data/image/image_test_util.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

using testing::PngSpec;
using testing::png_channels;
using testing::write_png;

// A picture whose samples vary in every channel, at every depth (palette: indices).
PngSpec make_spec(int color_type, int bit_depth, bool interlaced) {
  PngSpec spec;
  spec.color_type = color_type;
  spec.bit_depth = bit_depth;
  spec.interlaced = interlaced;
  const int channels = png_channels(color_type);
  const int levels = color_type == PNG_COLOR_TYPE_PALETTE ? std::min(1 << bit_depth, 11) : 1 << bit_depth;
  for (int y = 0; y < spec.height; ++y) {
    for (int x = 0; x < spec.width; ++x) {
      for (int c = 0; c < channels; ++c) {
        spec.samples.push_back(static_cast<std::uint16_t>((x * 4099 + y * 7919 + c * 12345) % levels));
      }
    }
  }
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    for (int i = 0; i < levels; ++i) {
      spec.palette.push_back(png_color{static_cast<png_byte>(i * 23), static_cast<png_byte>(255 - i * 11),
                                       static_cast<png_byte>(i * 97 % 256)});
    }
  }
  return spec;
}

// The 8-bit value libpng (and TF) make of a sample: low depths scaled up, 16 -> high byte.
int to_8_bit(int v, int depth) {
  if (depth == 16) return v >> 8;
  return depth == 8 ? v : v * 255 / ((1 << depth) - 1);
}

// The pixel at `i` as gray/rgb + alpha (8-bit), straight from the spec.
struct Rgba {
  int r, g, b, a;
  bool color;
};

Rgba stored_pixel(const PngSpec& spec, std::size_t i) {
  const int n = png_channels(spec.color_type);
  const auto s = [&](int c) { return to_8_bit(spec.samples[i * n + c], spec.bit_depth); };
  switch (spec.color_type) {
    case PNG_COLOR_TYPE_PALETTE: {
      const std::size_t index = spec.samples[i];
      const png_color& p = spec.palette[index];
      const int a = index < spec.trns_alpha.size() ? spec.trns_alpha[index] : 255;
      return {p.red, p.green, p.blue, a, true};
    }
    case PNG_COLOR_TYPE_GRAY: {
      const int a = spec.samples[i] == spec.trns_gray ? 0 : 255;
      return {s(0), s(0), s(0), a, false};
    }
    case PNG_COLOR_TYPE_GRAY_ALPHA: return {s(0), s(0), s(0), s(1), false};
    case PNG_COLOR_TYPE_RGB: return {s(0), s(1), s(2), 255, true};
    default: return {s(0), s(1), s(2), s(3), true};
  }
}

int stored_channels(const PngSpec& spec) {
  if (spec.color_type == PNG_COLOR_TYPE_PALETTE) return spec.trns_alpha.empty() ? 3 : 4;
  return png_channels(spec.color_type);
}

// Decodes `spec` asking for `channels` and compares with the TF-semantics expectation.
void expect_decodes(const PngSpec& spec, int channels) {
  SCOPED_TRACE("color type " + std::to_string(spec.color_type) + ", depth " + std::to_string(spec.bit_depth) +
               (spec.interlaced ? ", interlaced" : "") + ", channels " + std::to_string(channels));
  const Tensor image = decode_png(write_png(spec), "made.png", DecodeOptions().channels(channels));
  const int out = channels == 0 ? stored_channels(spec) : channels;
  ASSERT_EQ(image.shape(), (Shape{spec.height, spec.width, out}));
  ASSERT_EQ(image.dtype(), DType::kU8);
  const std::vector<std::uint8_t> got = image.to_vector<std::uint8_t>();
  for (std::size_t i = 0; i < static_cast<std::size_t>(spec.width * spec.height); ++i) {
    const Rgba p = stored_pixel(spec, i);
    std::vector<int> want;
    if (out == 1 || out == 2) {
      want.push_back(p.color ? static_cast<int>(std::lround(0.299 * p.r + 0.587 * p.g + 0.114 * p.b)) : p.g);
    } else {
      want = {p.r, p.g, p.b};
    }
    if (out % 2 == 0) want.push_back(p.a);
    for (int c = 0; c < out; ++c) {
      const int tolerance = (c == 0 && out < 3 && p.color) ? 1 : 0;  // libpng's fixed-point luma
      ASSERT_NEAR(got[i * out + c], want[c], tolerance) << "pixel " << i << " channel " << c;
    }
  }
}

struct Format {
  int color_type;
  std::vector<int> depths;
};

const std::vector<Format>& all_formats() {
  static const std::vector<Format> formats = {{PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}},
                                              {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}},
                                              {PNG_COLOR_TYPE_RGB, {8, 16}},
                                              {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}},
                                              {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}}};
  return formats;
}

TEST(DecodePng, EveryColorTypeAndDepthInterlacedOrNotToEveryChannelCount) {
  for (const Format& format : all_formats()) {
    for (int depth : format.depths) {
      for (bool interlaced : {false, true}) {
        for (int channels : {0, 1, 3, 4}) expect_decodes(make_spec(format.color_type, depth, interlaced), channels);
      }
    }
  }
}

TEST(DecodePng, PaletteWithTrnsGivesRgbaWithItsAlpha) {
  for (int depth : {2, 8}) {
    PngSpec spec = make_spec(PNG_COLOR_TYPE_PALETTE, depth, depth == 2);
    spec.trns_alpha = {0, 128, 7};  // entries past the list stay opaque
    for (int channels : {0, 1, 3, 4}) expect_decodes(spec, channels);
    EXPECT_EQ(decode_png(write_png(spec), "p.png").dim(2), 4);
  }
  EXPECT_EQ(decode_png(write_png(make_spec(PNG_COLOR_TYPE_PALETTE, 4, false)), "p.png").dim(2), 3);
}

TEST(DecodePng, GrayTrnsBecomesAlphaOnlyWhenAlphaIsAsked) {
  PngSpec spec = make_spec(PNG_COLOR_TYPE_GRAY, 8, false);
  spec.trns_gray = spec.samples[5];
  for (int channels : {0, 1, 3, 4}) expect_decodes(spec, channels);
  const Tensor rgba = decode_png(write_png(spec), "g.png", DecodeOptions().channels(4));
  EXPECT_EQ(rgba.to_vector<std::uint8_t>()[5 * 4 + 3], 0);
}

TEST(DecodePng, SixteenBitValuesSurviveAsI32AndEightBitOnesAreScaledBy257) {
  for (int color_type : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA}) {
    const PngSpec spec = make_spec(color_type, 16, color_type == PNG_COLOR_TYPE_RGB);
    const Tensor image = decode_png(write_png(spec), "deep.png", DecodeOptions().dtype(DType::kI32));
    ASSERT_EQ(image.dtype(), DType::kI32);
    const std::vector<std::int32_t> got = image.to_vector<std::int32_t>();
    ASSERT_EQ(got.size(), spec.samples.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], spec.samples[i]) << i;
  }
  const PngSpec rgb = make_spec(PNG_COLOR_TYPE_RGB, 16, false);
  const Tensor rgba = decode_png(write_png(rgb), "deep.png", DecodeOptions().dtype(DType::kI32).channels(4));
  EXPECT_EQ(rgba.at<std::int32_t>({2, 3, 3}), 65535);
  EXPECT_EQ(rgba.at<std::int32_t>({2, 3, 1}), rgb.samples[(2 * 13 + 3) * 3 + 1]);

  const PngSpec eight = make_spec(PNG_COLOR_TYPE_RGB, 8, false);
  const std::vector<std::int32_t> wide =
      decode_png(write_png(eight), "e.png", DecodeOptions().dtype(DType::kI32)).to_vector<std::int32_t>();
  for (std::size_t i = 0; i < wide.size(); ++i) ASSERT_EQ(wide[i], eight.samples[i] * 257) << i;
}

TEST(EncodePng, RoundTripsEightAndSixteenBitsAtEveryChannelCount) {
  for (int channels = 1; channels <= 4; ++channels) {
    std::vector<std::uint8_t> bytes;
    std::vector<std::int32_t> words;
    for (int i = 0; i < 5 * 6 * channels; ++i) {
      bytes.push_back(static_cast<std::uint8_t>(i * 37));
      words.push_back(i * 2011 % 65536);
    }
    const Tensor u8 = Tensor::from_vector(bytes, Shape{5, 6, channels});
    const std::string file8 = encode_png(u8, 9);
    EXPECT_EQ(static_cast<int>(file8[24]), 8);  // IHDR bit depth
    EXPECT_EQ(decode_png(file8, "rt.png").to_vector<std::uint8_t>(), bytes);
    const Tensor i32 = Tensor::from_vector(words, Shape{5, 6, channels});
    const std::string file16 = encode_png(i32, 0);
    EXPECT_EQ(static_cast<int>(file16[24]), 16);
    EXPECT_EQ(decode_png(file16, "rt.png", DecodeOptions().dtype(DType::kI32)).to_vector<std::int32_t>(), words);
  }
  // A strided view encodes its own pixels.
  const Tensor wide = Tensor::arange(0, 2 * 4 * 3).cast(DType::kU8).reshape({2, 4, 3});
  const Tensor view = wide.slice(1, 0, 4, 2);
  EXPECT_EQ(decode_png(encode_png(view), "v.png").to_vector<std::uint8_t>(), view.to_vector<std::uint8_t>());
}

TEST(EncodePng, RefusesWhatPngCannotHold) {
  EXPECT_THROW(encode_png(Tensor::zeros(Shape{2, 2}, DType::kU8)), InvalidArgument);
  EXPECT_THROW(encode_png(Tensor::zeros(Shape{2, 2, 5}, DType::kU8)), InvalidArgument);
  EXPECT_THROW(encode_png(Tensor::zeros(Shape{2, 2, 3}, DType::kF32)), InvalidArgument);
  EXPECT_THROW(encode_png(Tensor::zeros(Shape{0, 2, 3}, DType::kU8)), InvalidArgument);
  EXPECT_THROW(encode_png(Tensor::zeros(Shape{2, 2, 3}, DType::kU8), 10), InvalidArgument);
  try {
    encode_png(Tensor::full(Shape{1, 1, 1}, 70000, DType::kI32));
    FAIL() << "a sample above 65535 was encoded";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("70000"), std::string::npos) << e.what();
  }
}

void expect_data_loss(const std::string& bytes, const std::string& source, const std::string& what) {
  testing::expect_data_loss([](std::string_view b, std::string_view s) { return decode_png(b, s); }, bytes, source, what);
}

TEST(DecodePng, EveryTruncationAndEveryFlippedByteIsADataLossErrorNamingTheSource) {
  const std::string file = write_png(make_spec(PNG_COLOR_TYPE_PALETTE, 4, true));
  for (std::size_t n = 0; n < file.size(); ++n) {
    expect_data_loss(file.substr(0, n), "shard-3.tfrecord record #12", "prefix of " + std::to_string(n));
  }
  for (std::size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    expect_data_loss(bad, "flip.png", "byte " + std::to_string(i) + " flipped");
  }
}

// A chunk: length, type, data, CRC.
std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  const auto put = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(v >> shift);
  };
  put(static_cast<std::uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put(static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  return out;
}

// A PNG signature, an IHDR declaring width x height (8-bit RGB unless told), and the
// start of an IDAT.
std::string png_header(std::uint32_t width, std::uint32_t height, char depth = 8, char color_type = 2) {
  std::string ihdr;
  for (std::uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) ihdr += static_cast<char>(v >> shift);
  }
  ihdr += std::string{depth, color_type, 0, 0, 0};  // no interlace
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", std::string("\x78\x9c", 2));
}

TEST(DecodePng, ADecompressionBombIsRefusedFromItsHeader) {
  // 60000 x 60000 x 3 bytes would be 10 GB: refused on the header, before any pixel
  // memory (were it allocated, reading the missing IDAT would fail differently).
  try {
    decode_png(png_header(60000, 60000), "bomb.png");
    FAIL() << "a 60000x60000 header was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'bomb.png' is 60000x60000 = 3600000000 pixels, more than max_pixels"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(decode_png(png_header(100000, 1), "long.png"), InvalidArgument);  // a side past kDefaultMaxSide
  EXPECT_THROW(decode_png(png_header(2147483647, 2147483647), "max.png"), InvalidArgument);
  const std::string small = write_png(make_spec(PNG_COLOR_TYPE_RGB, 8, false));  // 13 x 7 = 91 pixels
  EXPECT_THROW(decode_png(small, "s.png", DecodeOptions().max_pixels(90)), InvalidArgument);
  EXPECT_THROW(decode_png(small, "s.png", DecodeOptions().max_side(12)), InvalidArgument);
  EXPECT_EQ(decode_png(small, "s.png", DecodeOptions().max_pixels(91).max_side(13)).numel(), 91 * 3);
}

// Found by running mutants under ASan: a 16-bit header promising 16384 x 16384 RGBA
// (2 GiB of samples) over a few bytes of data made the i32 path zero-fill every sample
// before the data ran out; now, as in the u8 path, only rows delivered are touched.
TEST(DecodePng, ASixteenBitHeaderPromisingMoreThanItsDataCostsOnlyTheRowsDelivered) {
  const std::string bomb = png_header(16384, 16384, 16, 6) + png_chunk("IEND", "");
  ASSERT_LT(bomb.size(), 80u);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  for (const DType dtype : {DType::kI32, DType::kU8}) {
    EXPECT_THROW(decode_png(bomb, "deep.png", DecodeOptions().dtype(dtype)), DataLossError) << dtype_name(dtype);
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 512 * 1024) << "peak resident KiB grew by that much";
}

// A few hundred KiB that inflate to 64 MiB: IDAT data far past the rows the header
// declares, and a zTXt text chunk. libpng inflates IDAT only as far as the rows need
// (max_pixels bounds those), and compressed ancillary chunks only up to its 8 MB chunk
// limit, so neither costs the 64 MiB.
TEST(DecodePng, CompressedDataPastWhatTheImageNeedsIsNeverInflatedWhole) {
  const std::string zeros(64 << 20, '\0');
  std::string deflated(compressBound(static_cast<uLong>(zeros.size())), '\0');
  uLongf size = static_cast<uLongf>(deflated.size());
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(deflated.data()), &size, reinterpret_cast<const Bytef*>(zeros.data()),
                      static_cast<uLong>(zeros.size()), 9),
            Z_OK);
  deflated.resize(size);
  std::string ihdr("\0\0\0\1\0\0\0\1\x08\0\0\0\0", 13);  // 1 x 1 gray, 8 bits
  const std::string signature("\x89PNG\r\n\x1a\n", 8);
  const std::string idat_bomb =
      signature + png_chunk("IHDR", ihdr) + png_chunk("IDAT", deflated) + png_chunk("IEND", "");
  const std::string text_bomb = signature + png_chunk("IHDR", ihdr) +
                                png_chunk("zTXt", std::string("Comment\0\0", 9) + deflated) +
                                png_chunk("IDAT", std::string("\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01", 10)) +
                                png_chunk("IEND", "");
  ASSERT_LT(idat_bomb.size(), 256u << 10);
  // `zeros` and `deflated` stay alive: resident memory is at its peak here, so 64 MiB
  // more in the decoder would raise the peak.
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  for (const std::string* bomb : {&idat_bomb, &text_bomb}) {
    try {
      const Tensor image = decode_png(*bomb, "bomb.png");
      EXPECT_EQ(image.shape(), Shape({1, 1, 1}));
      EXPECT_EQ(image.data<std::uint8_t>()[0], 0);
    } catch (const DataLossError& e) {
      EXPECT_NE(std::string(e.what()).find("'bomb.png'"), std::string::npos) << e.what();
    }
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 16 * 1024) << "peak resident KiB grew by that much";
}

// Found by running mutants: a flipped bit in an ancillary chunk (tRNS) was a warning
// libpng dropped the chunk for, and the image decoded silently with 3 channels, not 4.
TEST(DecodePng, ABadCrcOnAnAncillaryChunkIsADataLossError) {
  PngSpec spec = make_spec(PNG_COLOR_TYPE_PALETTE, 8, false);
  spec.trns_alpha = {0, 128, 7};
  const std::string good = write_png(spec);
  ASSERT_EQ(decode_png(good, "t.png").dim(2), 4);
  const std::size_t type = good.find("tRNS");
  ASSERT_NE(type, std::string::npos);
  const std::size_t length = (static_cast<unsigned char>(good[type - 2]) << 8) | static_cast<unsigned char>(good[type - 1]);
  std::string bad = good;
  bad[type + 4 + length] = static_cast<char>(bad[type + 4 + length] ^ 1);  // the CRC's first byte
  expect_data_loss(bad, "t.png", "tRNS's CRC flipped");
  EXPECT_THROW(read_png_info(bad, "t.png"), DataLossError);
}

TEST(DecodePng, ReadsTheHeaderWithoutDecoding) {
  PngSpec spec = make_spec(PNG_COLOR_TYPE_PALETTE, 4, false);
  spec.trns_alpha = {1};
  const ImageInfo info = read_png_info(write_png(spec), "i.png");
  EXPECT_EQ(info.format, ImageFormat::kPng);
  EXPECT_EQ(info.height, 7);
  EXPECT_EQ(info.width, 13);
  EXPECT_EQ(info.channels, 4);
  EXPECT_EQ(info.bit_depth, 4);
  EXPECT_EQ(read_png_info(png_header(60000, 60000), "bomb.png").width, 60000);  // the header alone is fine
}

TEST(DecodePng, RealHorsesOrHumansImages) {
  const std::filesystem::path dir = spool::testing::shared_data_dir() / "horse-or-human" / "train" / "horses";
  if (spool::testing::shared_data_dir().empty() || !std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "../shared/data/horse-or-human is absent";
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string bytes = spool::testing::read_file(files[i].string());
    const Tensor stored = decode_png(bytes, files[i].string());
    EXPECT_EQ(stored.dim(0), 300);
    EXPECT_EQ(stored.dim(1), 300);
    const Tensor rgb = decode_png(bytes, files[i].string(), DecodeOptions().channels(3));
    ASSERT_EQ(rgb.shape(), (Shape{300, 300, 3}));
    const std::vector<std::uint8_t> pixels = rgb.to_vector<std::uint8_t>();
    EXPECT_NE(*std::min_element(pixels.begin(), pixels.end()), *std::max_element(pixels.begin(), pixels.end()));
    EXPECT_EQ(decode_png(encode_png(rgb), "again.png").to_vector<std::uint8_t>(), pixels);
  }
}

}  // namespace
}  // namespace spool::data
