// Crops, flips and quarter turns: exact pixels on tiny images, and seeded randomness.
#include "spool/data/image/crop_flip.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace spool::data {
namespace {

// A 3 x 4 one-channel image holding 0..11 row by row:
//   0  1  2  3
//   4  5  6  7
//   8  9 10 11
Tensor grid() {
  std::vector<std::int64_t> v(12);
  for (std::int64_t i = 0; i < 12; ++i) v[i] = i;
  return Tensor::from_vector(v, Shape{3, 4, 1});
}
std::vector<std::int64_t> values(const Tensor& t) { return t.to_vector<std::int64_t>(); }

TEST(CropFlip, FlipsMovePixels) {
  EXPECT_EQ(values(flip_left_right(grid())), (std::vector<std::int64_t>{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}));
  EXPECT_EQ(values(flip_up_down(grid())), (std::vector<std::int64_t>{8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3}));
  // Channels stay together: an RGB pixel moves whole.
  const Tensor rgb = Tensor::from_vector<std::uint8_t>({1, 2, 3, 4, 5, 6}, Shape{1, 2, 3});
  EXPECT_EQ(flip_left_right(rgb).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{4, 5, 6, 1, 2, 3}));
}

TEST(CropFlip, Rot90TurnsCounterClockwise) {
  // One turn: the right column becomes the top row (tf.image.rot90).
  const Tensor once = rot90(grid());
  EXPECT_EQ(once.shape(), (Shape{4, 3, 1}));
  EXPECT_EQ(values(once), (std::vector<std::int64_t>{3, 7, 11, 2, 6, 10, 1, 5, 9, 0, 4, 8}));
  EXPECT_EQ(values(rot90(grid(), 2)), (std::vector<std::int64_t>{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(values(rot90(grid(), 3)), (std::vector<std::int64_t>{8, 4, 0, 9, 5, 1, 10, 6, 2, 11, 7, 3}));
  EXPECT_EQ(values(rot90(grid(), -1)), values(rot90(grid(), 3)));
  EXPECT_EQ(values(rot90(grid(), 4)), values(grid()));
  EXPECT_EQ(values(rot90(rot90(grid()), 3)), values(grid()));
}

TEST(CropFlip, CentralCropFollowsTensorFlowsRounding) {
  // 3 x 4 at 0.5: top int((3 - 1.5) / 2) = 0 -> 3 rows; left int((4 - 2) / 2) = 1 -> 2 columns.
  const Tensor c = central_crop(grid(), 0.5);
  EXPECT_EQ(c.shape(), (Shape{3, 2, 1}));
  EXPECT_EQ(values(c), (std::vector<std::int64_t>{1, 2, 5, 6, 9, 10}));
  EXPECT_EQ(values(central_crop(grid(), 1.0)), values(grid()));
  EXPECT_THROW(central_crop(grid(), 0), InvalidArgument);
  EXPECT_THROW(central_crop(grid(), 1.5), InvalidArgument);
}

TEST(CropFlip, CropChecksTheWindow) {
  EXPECT_EQ(values(crop(grid(), 1, 2, {2, 2})), (std::vector<std::int64_t>{6, 7, 10, 11}));
  try {
    crop(grid(), 2, 0, {2, 2});
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("[3, 4, 1]"), std::string::npos) << e.what();
  }
}

TEST(CropFlip, RandomCropIsAWindowOfTheImageAndSeeded) {
  std::set<std::vector<std::int64_t>> seen;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    Generator gen(seed);
    const Tensor c = random_crop(grid(), {2, 2}, gen);
    ASSERT_EQ(c.shape(), (Shape{2, 2, 1}));
    const std::vector<std::int64_t> v = values(c);
    // A window: rows differ by 4, columns by 1.
    EXPECT_EQ(v[1], v[0] + 1);
    EXPECT_EQ(v[2], v[0] + 4);
    Generator again(seed);
    EXPECT_EQ(values(random_crop(grid(), {2, 2}, again)), v);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 6u);  // every one of the 2 x 3 offsets occurs in 40 draws
  Generator gen(1);
  EXPECT_THROW(random_crop(grid(), {4, 2}, gen), InvalidArgument);
}

TEST(CropFlip, RandomFlipDrawsPerImageOfABatch) {
  // A batch of 16 copies: both outcomes occur, each image is either itself or flipped.
  std::vector<std::int64_t> v;
  for (int i = 0; i < 16; ++i) {
    for (std::int64_t x : values(grid())) v.push_back(x);
  }
  const Tensor batch = Tensor::from_vector(v, Shape{16, 3, 4, 1});
  Generator gen(9);
  const Tensor out = random_flip_left_right(batch, gen);
  int flipped = 0;
  for (std::int64_t i = 0; i < 16; ++i) {
    const std::vector<std::int64_t> img = values(out.select(0, i));
    if (img == values(flip_left_right(grid()))) {
      ++flipped;
    } else {
      EXPECT_EQ(img, values(grid()));
    }
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 16);
  Generator same(9), other(10);
  EXPECT_EQ(values(random_flip_left_right(batch, same)), values(out));
  EXPECT_NE(values(random_flip_up_down(batch, other)), values(random_flip_up_down(batch, same)));
}

TEST(CropFlip, MapFunctionsUseTheElementGenerator) {
  const Element e{grid(), Tensor::scalar<std::int64_t>(0)};
  Generator a(3), b(3);
  EXPECT_EQ(random_crop_fn({2, 2})(e, a), random_crop_fn({2, 2})(e, b));
  EXPECT_EQ(central_crop_fn(0.5)(e)[0].shape(), (Shape{3, 2, 1}));
  EXPECT_EQ(random_flip_up_down_fn()(e, a)[0].shape(), (Shape{3, 4, 1}));
}

}  // namespace
}  // namespace spool::data
