// Pixel-value transforms: values as TensorFlow computes them, and seeded randomness.
#include "spool/data/image/color.h"

#include <gtest/gtest.h>

#include <span>
#include <vector>

namespace spool::data {
namespace {

TEST(Color, ConvertDtypeScalesTo01AndBack) {
  const Tensor u8 = Tensor::from_vector<std::uint8_t>({0, 51, 255, 128}, Shape{2, 2, 1});
  const std::vector<float> f = convert_dtype(u8, DType::kF32).to_vector<float>();
  EXPECT_FLOAT_EQ(f[0], 0);
  EXPECT_FLOAT_EQ(f[1], 0.2f);
  EXPECT_FLOAT_EQ(f[2], 1);
  EXPECT_NEAR(f[3], 128.0 / 255, 1e-7);
  // Back: rounded, saturated.
  const Tensor floats = Tensor::from_vector<float>({-0.5f, 0.2f, 1.5f, 0.5f}, Shape{2, 2, 1});
  EXPECT_EQ(convert_dtype(floats, DType::kU8).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 51, 255, 128}));
  EXPECT_EQ(convert_dtype(convert_dtype(u8, DType::kF32), DType::kU8).to_vector<std::uint8_t>(),
            u8.to_vector<std::uint8_t>());
  EXPECT_THROW(convert_dtype(u8, DType::kI64), InvalidArgument);
}

TEST(Color, RescaleIsKerasRescalingAndMatchesConvertDtype) {
  const Tensor u8 = Tensor::from_vector<std::uint8_t>({0, 51, 255, 128}, Shape{2, 2, 1});
  const Tensor unit = rescale(u8, 1.0f / 255.0f);
  EXPECT_EQ(unit.dtype(), DType::kF32);
  EXPECT_EQ(unit.shape(), u8.shape());
  EXPECT_EQ(unit.to_vector<float>(), convert_dtype(u8, DType::kF32).to_vector<float>());  // bit for bit
  // x / 255 then (x - 0.5) / 0.25 as one multiply-add: 0 -> -2, 255 -> 2.
  const std::vector<float> z = rescale(u8, 1.0f / (255.0f * 0.25f), -2.0f).to_vector<float>();
  EXPECT_FLOAT_EQ(z[0], -2.0f);
  EXPECT_FLOAT_EQ(z[1], 51.0f / 63.75f - 2.0f);
  EXPECT_FLOAT_EQ(z[2], 2.0f);
  // f32 input, any rank, non-contiguous views.
  const Tensor f = Tensor::from_vector<float>({0, 127.5f, 255, 510}, Shape{2, 2});
  EXPECT_EQ(rescale(f, 1.0f / 255.0f).to_vector<float>(), (std::vector<float>{0, 0.5f, 1, 2}));
  EXPECT_EQ(rescale(f.transpose(0, 1), 2.0f, 1.0f).to_vector<float>(), (std::vector<float>{1, 511, 256, 1021}));
  EXPECT_THROW(rescale(Tensor::from_vector<std::int64_t>({1}, Shape{1}), 1.0f), InvalidArgument);
  // The buffer form fills memory the caller owns and checks the sizes.
  const std::vector<std::uint8_t> in{10, 20};
  std::vector<float> out(2);
  rescale(std::span<const std::uint8_t>(in), std::span<float>(out), 0.5f, 1.0f);
  EXPECT_EQ(out, (std::vector<float>{6, 11}));
  std::vector<float> short_out(1);
  EXPECT_THROW(rescale(std::span<const std::uint8_t>(in), std::span<float>(short_out), 1.0f), InvalidArgument);
}

TEST(Color, RoundToU8RoundsHalvesAwayFromZeroAndSaturates) {
  const Tensor f = Tensor::from_vector<float>({-3.0f, -0.4f, 0.5f, 1.5f, 2.5f, 127.49f, 254.5f, 300.0f}, Shape{2, 4});
  const Tensor u8 = round_to_u8(f);
  EXPECT_EQ(u8.dtype(), DType::kU8);
  EXPECT_EQ(u8.shape(), f.shape());
  // 0.5 and 2.5 go up (convert_dtype's nearbyint would give 0 and 2).
  EXPECT_EQ(u8.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 0, 1, 2, 3, 127, 255, 255}));
  EXPECT_THROW(round_to_u8(Tensor::from_vector<std::uint8_t>({1}, Shape{1})), InvalidArgument);
}

TEST(Color, NormalizePerChannel) {
  const Tensor img = Tensor::from_vector<float>({1, 10, 3, 30}, Shape{1, 2, 2});
  EXPECT_EQ(normalize(img, {1, 10}, {2, 5}).to_vector<float>(), (std::vector<float>{0, 0, 1, 4}));
  EXPECT_EQ(normalize(img, {1}, {2}).to_vector<float>(), (std::vector<float>{0, 4.5f, 1, 14.5f}));
  EXPECT_THROW(normalize(img, {1, 2, 3}, {1}), InvalidArgument);
  EXPECT_THROW(normalize(img, {1}, {0}), InvalidArgument);
}

TEST(Color, BrightnessAddsInTheUnitScale) {
  const Tensor f = Tensor::from_vector<float>({0.1f, 0.9f}, Shape{1, 1, 2});
  const std::vector<float> v = adjust_brightness(f, 0.2).to_vector<float>();
  EXPECT_NEAR(v[0], 0.3, 1e-6);
  EXPECT_NEAR(v[1], 1.1, 1e-6);  // f32 is not clamped, as TF
  // u8: 100/255 + 0.2 = 151/255 -> 151; 250 saturates at 255.
  const Tensor u8 = Tensor::from_vector<std::uint8_t>({100, 250}, Shape{1, 1, 2});
  EXPECT_EQ(adjust_brightness(u8, 0.2).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{151, 255}));
}

TEST(Color, ContrastScalesAroundEachChannelsMean) {
  // Channel 0: 1, 3 (mean 2) -> 0, 4 at factor 2; channel 1: 10, 30 (mean 20) -> 0, 40.
  const Tensor img = Tensor::from_vector<float>({1, 10, 3, 30}, Shape{1, 2, 2});
  EXPECT_EQ(adjust_contrast(img, 2).to_vector<float>(), (std::vector<float>{0, 0, 4, 40}));
  EXPECT_EQ(adjust_contrast(img, 0).to_vector<float>(), (std::vector<float>{2, 20, 2, 20}));
  // In a batch the mean is per image.
  const Tensor batch = Tensor::from_vector<float>({1, 3, 5, 9}, Shape{2, 1, 2, 1});
  EXPECT_EQ(adjust_contrast(batch, 2).to_vector<float>(), (std::vector<float>{0, 4, 3, 11}));
}

TEST(Color, RandomBrightnessAndContrastStayInRangeAndAreSeeded) {
  const Tensor img = Tensor::from_vector<float>({0.5f, 0.25f, 0.75f, 0.5f}, Shape{2, 2, 1});
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Generator gen(seed);
    const std::vector<float> b = random_brightness(img, 0.1, gen).to_vector<float>();
    const float delta = b[0] - 0.5f;
    EXPECT_LE(std::abs(delta), 0.1f + 1e-6f);
    EXPECT_NEAR(b[1], 0.25f + delta, 1e-6);  // one delta for the whole image
    const std::vector<float> c = random_contrast(img, 0.5, 1.5, gen).to_vector<float>();
    const float factor = (c[2] - 0.5f) / 0.25f;
    EXPECT_GE(factor, 0.5f - 1e-5f);
    EXPECT_LE(factor, 1.5f + 1e-5f);
  }
  Generator a(4), b(4), c(5);
  EXPECT_EQ(random_brightness(img, 0.3, a).to_vector<float>(), random_brightness(img, 0.3, b).to_vector<float>());
  EXPECT_NE(random_brightness(img, 0.3, c).to_vector<float>(), random_brightness(img, 0.3, a).to_vector<float>());
  EXPECT_THROW(random_contrast(img, 1, 0.5, a), InvalidArgument);
}

TEST(Color, MapFunctions) {
  const Element e{Tensor::from_vector<std::uint8_t>({0, 255}, Shape{1, 1, 2})};
  const Element f = convert_dtype_fn(DType::kF32)(e);
  EXPECT_EQ(f[0].to_vector<float>(), (std::vector<float>{0, 1}));
  EXPECT_EQ(normalize_fn({0.5f}, {0.5f})(f)[0].to_vector<float>(), (std::vector<float>{-1, 1}));
  EXPECT_EQ(rescale_fn(2.0f / 255.0f, -1.0f)(e)[0].to_vector<float>(), (std::vector<float>{-1, 1}));
  Generator gen(1);
  EXPECT_EQ(random_contrast_fn(0.5, 1.5)(f, gen)[0].shape(), (Shape{1, 1, 2}));
}

}  // namespace
}  // namespace spool::data
