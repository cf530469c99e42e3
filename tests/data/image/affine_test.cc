// The Keras-style affine augmenter: exact fill modes on a tiny image, a quarter turn,
// value ranges and determinism under a seed.
#include "spool/data/image/affine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "spool/data/image/crop_flip.h"

namespace spool::data {
namespace {

std::vector<float> shifted(FillMode mode) {
  // 1 x 4 image [1 2 3 4]; ty = 2 shifts columns: output column c samples input c + 2.
  const Tensor img = Tensor::from_vector<float>({1, 2, 3, 4}, Shape{1, 4, 1});
  AffineParams p;
  p.ty = 2;
  return apply_affine(img, p, mode, 9).to_vector<float>();
}

TEST(Affine, FillModesOnATinyImage) {
  EXPECT_EQ(shifted(FillMode::kConstant), (std::vector<float>{3, 4, 9, 9}));
  EXPECT_EQ(shifted(FillMode::kNearest), (std::vector<float>{3, 4, 4, 4}));
  EXPECT_EQ(shifted(FillMode::kReflect), (std::vector<float>{3, 4, 4, 3}));  // d c b a | a b c d | d c b a
  EXPECT_EQ(shifted(FillMode::kWrap), (std::vector<float>{3, 4, 1, 2}));     // a b c d | a b c d
  EXPECT_EQ(parse_fill_mode("wrap"), FillMode::kWrap);
  EXPECT_THROW(parse_fill_mode("mirror"), InvalidArgument);
}

TEST(Affine, HalfPixelShiftBlendsBilinearly) {
  const Tensor img = Tensor::from_vector<float>({1, 2, 3, 4}, Shape{1, 4, 1});
  AffineParams p;
  p.ty = 0.5;
  EXPECT_EQ(apply_affine(img, p, FillMode::kNearest).to_vector<float>(), (std::vector<float>{1.5f, 2.5f, 3.5f, 4}));
}

TEST(Affine, RotationByNinetyDegreesIsAQuarterTurnAboutTheCentre) {
  std::vector<float> v(9);
  for (int i = 0; i < 9; ++i) v[i] = static_cast<float>(i);
  const Tensor img = Tensor::from_vector(v, Shape{3, 3, 1});
  AffineParams p;
  p.theta = 90;
  // input (r, c) = R * output about the centre: output (0, 0) reads input (2, 0), a
  // clockwise quarter turn, which is rot90 with k = 3.
  const std::vector<float> got = apply_affine(img, p).to_vector<float>();
  const std::vector<float> want = rot90(img, 3).to_vector<float>();
  for (std::size_t i = 0; i < 9; ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
  // The identity transform returns the image (as f32).
  const Tensor u8 = Tensor::from_vector<std::uint8_t>({1, 2, 3, 4}, Shape{2, 2, 1});
  EXPECT_EQ(apply_affine(u8, AffineParams{}).to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  AffineParams flip;
  flip.flip = true;
  EXPECT_EQ(apply_affine(u8, flip).to_vector<float>(), (std::vector<float>{2, 1, 4, 3}));
}

TEST(Affine, RandomAugmentationKeepsShapeRangeAndSeed) {
  std::vector<std::uint8_t> pixels(2 * 16 * 12 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(40 + (i * 37) % 150);
  const Tensor batch = Tensor::from_vector(pixels, Shape{2, 16, 12, 3});
  const auto options = AffineOptions()
                           .rotation_range(40)
                           .width_shift_range(0.2)
                           .height_shift_range(0.2)
                           .shear_range(20)
                           .zoom_range(0.2)
                           .horizontal_flip(true)
                           .fill_mode(FillMode::kNearest);
  Generator a(11), b(11), c(12);
  const Tensor out = random_affine(batch, options, a);
  ASSERT_EQ(out.shape(), (Shape{2, 16, 12, 3}));
  ASSERT_EQ(out.dtype(), DType::kF32);
  const std::vector<float> v = out.to_vector<float>();
  // Bilinear blends of the input, with edge fill: inside the input's range.
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 40.0f - 1e-3f);
  EXPECT_LE(*std::max_element(v.begin(), v.end()), 189.0f + 1e-3f);
  EXPECT_EQ(random_affine(batch, options, b).to_vector<float>(), v);
  EXPECT_NE(random_affine(batch, options, c).to_vector<float>(), v);
  // The two images of the batch got different transforms.
  Generator d(11);
  const AffineParams first = random_affine_params(options, 16, 12, d);
  const AffineParams second = random_affine_params(options, 16, 12, d);
  EXPECT_NE(first.theta, second.theta);
  EXPECT_LE(std::abs(first.theta), 40);
  EXPECT_LE(std::abs(first.tx), 0.2 * 16);
  EXPECT_LE(std::abs(first.ty), 0.2 * 12);
  EXPECT_GE(first.zx, 0.8);
  EXPECT_LE(first.zx, 1.2);
  // Constant fill brings cval in once the image moves.
  Generator e(5);
  const auto shifting = AffineOptions().width_shift_range(0.4).fill_mode(FillMode::kConstant).cval(-1);
  const std::vector<float> w = random_affine(batch.select(0, 0), shifting, e).to_vector<float>();
  EXPECT_NE(std::find(w.begin(), w.end(), -1.0f), w.end());
}

TEST(Affine, OptionsAndMapFunction) {
  EXPECT_THROW(AffineOptions().rotation_range(-1), InvalidArgument);
  EXPECT_THROW(AffineOptions().zoom_range(1.5), InvalidArgument);
  const Element el{Tensor::zeros(Shape{4, 4, 1}, DType::kU8), Tensor::scalar<std::int64_t>(2)};
  Generator g(1);
  const Element out = random_affine_fn(AffineOptions().rotation_range(10))(el, g);
  EXPECT_EQ(out[0].shape(), (Shape{4, 4, 1}));
  EXPECT_EQ(out[1].item<std::int64_t>(), 2);
  EXPECT_THROW(apply_affine(Tensor::zeros(Shape{4, 4}, DType::kF32), AffineParams{}), InvalidArgument);
}

}  // namespace
}  // namespace spool::data
