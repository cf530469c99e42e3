// resize against numbers worked out by hand from TensorFlow 2's documented kernels
// (half-pixel centres; see resize.h): each expected value below notes its derivation.
#include "spool/data/image/resize.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spool::data {
namespace {

// A 1 x W x 1 image: resizing the width only isolates one axis of the separable kernels.
Tensor row(const std::vector<float>& values) {
  return Tensor::from_vector(values, Shape{1, static_cast<std::int64_t>(values.size()), 1});
}

void expect_near_all(const Tensor& got, const std::vector<float>& want, float tol = 1e-5f) {
  const std::vector<float> v = got.to_vector<float>();
  ASSERT_EQ(v.size(), want.size());
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], want[i], tol) << "at " << i;
}

TEST(Resize, Bilinear2x2To4x4MatchesHalfPixelCentres) {
  // Source coordinates (i + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25: the ends clamp to
  // the edge pixels, the middle ones blend 3:1 and 1:3. Rows [0, 1] and [2, 3].
  const Tensor img = Tensor::from_vector<float>({0, 1, 2, 3}, Shape{2, 2, 1});
  const Tensor out = resize(img, {4, 4});
  EXPECT_EQ(out.shape(), (Shape{4, 4, 1}));
  EXPECT_EQ(out.dtype(), DType::kF32);
  expect_near_all(out, {0, 0.25f, 0.75f, 1,  //
                        0.5f, 0.75f, 1.25f, 1.5f,  //
                        1.5f, 1.75f, 2.25f, 2.5f,  //
                        2, 2.25f, 2.75f, 3});
  // u8 input takes the fast path and gives the same f32 numbers.
  const Tensor u8 = Tensor::from_vector<std::uint8_t>({0, 10, 20, 30}, Shape{2, 2, 1});
  expect_near_all(resize(u8, {4, 4}), {0, 2.5f, 7.5f, 10, 5, 7.5f, 12.5f, 15, 15, 17.5f, 22.5f, 25, 20, 22.5f, 27.5f, 30});
}

TEST(Resize, BilinearDownscaleSamplesBetweenPairs) {
  // 4 -> 2: coordinates (i + 0.5) * 2 - 0.5 = 0.5 and 2.5: the means of pairs (no antialias).
  expect_near_all(resize(row({1, 2, 4, 8}), {1, 2}), {1.5f, 6});
}

TEST(Resize, NearestUsesFloorOfHalfPixelCoordinateAndKeepsDtype) {
  // Up 2 -> 4: floor((i + 0.5) * 0.5) = 0, 0, 1, 1.
  const Tensor up = resize(Tensor::from_vector<std::uint8_t>({7, 9}, Shape{1, 2, 1}), {1, 4}, ResizeMethod::kNearest);
  EXPECT_EQ(up.dtype(), DType::kU8);
  EXPECT_EQ(up.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{7, 7, 9, 9}));
  // Down 4 -> 2: floor(0.5 * 2) = 1, floor(1.5 * 2) = 3 (not 0 and 2).
  const Tensor down = resize(Tensor::from_vector<std::int64_t>({10, 20, 30, 40}, Shape{1, 4, 1}), {1, 2},
                             ResizeMethod::kNearest);
  EXPECT_EQ(down.to_vector<std::int64_t>(), (std::vector<std::int64_t>{20, 40}));
  // 3 -> 2: floor(0.75) = 0, floor(2.25) = 2. Antialias is ignored for nearest.
  const Tensor odd = resize(Tensor::from_vector<std::int64_t>({1, 2, 3}, Shape{1, 3, 1}), {1, 2},
                            ResizeMethod::kNearest, true);
  EXPECT_EQ(odd.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 3}));
}

TEST(Resize, BicubicKeysWeightsWithRenormalisedBorders) {
  // Keys a = -0.5: W(0.25) = 0.8671875, W(0.75) = 0.2265625, W(1.25) = -0.0703125,
  // W(1.75) = -0.0234375. 4 -> 8: coordinates -0.25, 0.25, 0.75, 1.25, ...
  // i=0: x=-0.25, taps -2..1 -> only 0 and 1 inside, weights .8671875, -.0703125 over
  //      their sum .796875: (0.8671875 - 0.140625) / 0.796875 = 0.9117647.
  // i=1: x=0.25, taps -1..2 -> drop -1: (0.8671875 + 0.453125 - 0.09375) / 1.0703125 = 1.1459854.
  // i=2: x=0.75, taps -1..2 -> drop -1: (0.2265625 + 1.734375 - 0.28125) / 1.0234375 = 1.6412214.
  // i=3: x=1.25, taps 0..3 all inside: -0.0703125 + 1.734375 + 0.90625 - 0.1875 = 2.3828125.
  const std::vector<float> v = resize(row({1, 2, 4, 8}), {1, 8}, ResizeMethod::kBicubic).to_vector<float>();
  ASSERT_EQ(v.size(), 8u);
  EXPECT_NEAR(v[0], 0.7265625 / 0.796875, 1e-5);
  EXPECT_NEAR(v[1], 1.2265625 / 1.0703125, 1e-5);
  EXPECT_NEAR(v[2], 1.6796875 / 1.0234375, 1e-5);
  EXPECT_NEAR(v[3], 2.3828125, 1e-5);
  // Same size: delta 0 puts weight 1 on the pixel itself.
  expect_near_all(resize(row({1, 2, 4, 8}), {1, 4}, ResizeMethod::kBicubic), {1, 2, 4, 8});
}

TEST(Resize, AreaAveragesCoveredPixelsByOverlap) {
  // 4 -> 2: pairs; 3 -> 2: output 0 covers [0, 1.5) = pixel 0 and half of 1, output 1
  // covers [1.5, 3): (3 + 0.5 * 6) / 1.5 = 4 and (0.5 * 6 + 9) / 1.5 = 8.
  expect_near_all(resize(row({1, 2, 4, 8}), {1, 2}, ResizeMethod::kArea), {1.5f, 6});
  expect_near_all(resize(row({3, 6, 9}), {1, 2}, ResizeMethod::kArea), {4, 8});
  // Upscaling 2 -> 4 repeats pixels: each output covers half of one input pixel.
  expect_near_all(resize(row({5, 7}), {1, 4}, ResizeMethod::kArea), {5, 5, 7, 7});
}

TEST(Resize, AntialiasStretchesTheKernelWhenDownscaling) {
  // scale_and_translate, 4 -> 2: output 0 samples at s = 1; the triangle stretched by 2
  // covers pixels 0..2 with weights 1 - |j + 0.5 - s| / 2 = .75, .75, .25 (sum 1.75):
  // (0.75 + 1.5 + 1) / 1.75 = 13/7. Output 1 at s = 3: pixels 1..3, .25 .75 .75:
  // (0.5 + 3 + 6) / 1.75 = 9.5/1.75.
  expect_near_all(resize(row({1, 2, 4, 8}), {1, 2}, ResizeMethod::kBilinear, true), {13.0f / 7, 9.5f / 1.75f});
  // Keys cubic stretched by 2, output 0 at s = 1: distances .25 .25 .75 1.25 give
  // .8671875 .8671875 .2265625 -.0703125 (sum 1.890625).
  expect_near_all(resize(row({1, 2, 4, 8}), {1, 2}, ResizeMethod::kBicubic, true),
                  {2.9453125f / 1.890625f, 10.7890625f / 1.890625f});
  // Upscaling: antialias changes nothing (the kernel is not stretched).
  const Tensor img = Tensor::from_vector<float>({0, 1, 2, 3}, Shape{2, 2, 1});
  expect_near_all(resize(img, {4, 4}, ResizeMethod::kBilinear, true), resize(img, {4, 4}).to_vector<float>());
}

TEST(Resize, BatchResizesEachImageAndKeepsChannels) {
  const Tensor a = Tensor::from_vector<float>({0, 100, 1, 101, 2, 102, 3, 103}, Shape{2, 2, 2});
  const Tensor batch = Tensor::from_vector<float>({0, 100, 1, 101, 2, 102, 3, 103, 3, 103, 2, 102, 1, 101, 0, 100},
                                                  Shape{2, 2, 2, 2});
  const Tensor out = resize(batch, {4, 4});
  ASSERT_EQ(out.shape(), (Shape{2, 4, 4, 2}));
  expect_near_all(out.select(0, 0), resize(a, {4, 4}).to_vector<float>());
  const std::vector<float> second = out.select(0, 1).to_vector<float>();
  EXPECT_NEAR(second[0], 3, 1e-6);      // top-left of the second image, channel 0
  EXPECT_NEAR(second[1], 103, 1e-6);    // channel 1 kept apart
  EXPECT_NEAR(second[2 * 1], 2.75, 1e-6);  // x = 0.25 between 3 and 2
}

TEST(Resize, FastU8PathEqualsFloatPathOnALargeImage) {
  std::vector<std::uint8_t> pixels(300 * 300 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>((i * 7919) % 251);
  const Tensor u8 = Tensor::from_vector(pixels, Shape{300, 300, 3});
  const std::vector<float> fast = resize(u8, {150, 150}).to_vector<float>();
  const std::vector<float> slow = resize(u8.cast(DType::kF32), {150, 150}).to_vector<float>();
  ASSERT_EQ(fast.size(), 150u * 150 * 3);
  for (std::size_t i = 0; i < fast.size(); i += 97) EXPECT_FLOAT_EQ(fast[i], slow[i]);
  // 300 -> 150 bilinear averages 2x2 blocks: coordinate 2i + 0.5.
  const float want = (pixels[0] + pixels[3] + pixels[900] + pixels[903]) / 4.0f;
  EXPECT_NEAR(fast[0], want, 1e-4);
}

TEST(Resize, ErrorsNameTheShape) {
  try {
    resize(Tensor::zeros(Shape{2, 2}, DType::kF32), {4, 4});
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 2]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resize(Tensor::zeros(Shape{2, 2, 1}, DType::kF32), {0, 4}), InvalidArgument);
  EXPECT_THROW(resize(Tensor::zeros(Shape{0, 2, 1}, DType::kF32), {4, 4}), InvalidArgument);
  EXPECT_THROW(parse_resize_method("lanczos"), InvalidArgument);
  EXPECT_EQ(parse_resize_method("area"), ResizeMethod::kArea);
}

TEST(Resize, MapFunctionRewritesTheNamedComponent) {
  const Element e({Tensor::zeros(Shape{2, 2, 3}, DType::kU8), Tensor::scalar<std::int64_t>(1)}, {"image", "label"});
  const Element out = resize_fn({5, 6}, ResizeMethod::kBilinear, false, "image")(e);
  EXPECT_EQ(out["image"].shape(), (Shape{5, 6, 3}));
  EXPECT_EQ(out["label"].item<std::int64_t>(), 1);
  EXPECT_EQ(resize_fn({5, 6})(e)[0].shape(), (Shape{5, 6, 3}));
  EXPECT_THROW(resize_fn({5, 6}, ResizeMethod::kBilinear, false, "picture")(e), InvalidArgument);
}

}  // namespace
}  // namespace spool::data
