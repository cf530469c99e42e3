#include "spool/distribute/curves_png.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "spool/data/image/png.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::distribute {
namespace {

// Mean row of the pixels of `color` in columns [x0, x1), or -1 when there are none.
double mean_row_of(const Tensor& image, detail::Rgb color, std::int64_t x0, std::int64_t x1) {
  const auto* p = image.data<std::uint8_t>();
  const std::int64_t h = image.shape()[0], w = image.shape()[1];
  double sum = 0;
  int count = 0;
  for (std::int64_t y = 0; y < h; ++y) {
    for (std::int64_t x = x0; x < x1; ++x) {
      const auto* px = p + (y * w + x) * 3;
      if (px[0] == color[0] && px[1] == color[1] && px[2] == color[2]) sum += static_cast<double>(y), ++count;
    }
  }
  return count ? sum / count : -1;
}

CurvePanel loss_panel() {
  return {"loss", {{"train", {2.0, 1.5, 1.0}, kTrainColor}, {"validation", {1.0, 1.5, 2.0}, kValidationColor}}};
}

TEST(CurvesPng, PanelsSitSideBySideAndLinesFollowTheValues) {
  const Tensor image = render_curves({loss_panel(), {"accuracy", {{"train", {0.5, 0.9}, kTrainColor}}}}, 400, 300);
  ASSERT_EQ(image.shape(), (Shape{300, 800, 3}));
  // In the first panel the train loss falls: its pixels sit higher (smaller rows) on
  // the left than on the right; the validation loss rises, so the other way round.
  const double train_left = mean_row_of(image, kTrainColor, 62, 150);
  const double train_right = mean_row_of(image, kTrainColor, 300, 384);
  const double val_left = mean_row_of(image, kValidationColor, 62, 150);
  const double val_right = mean_row_of(image, kValidationColor, 300, 384);
  ASSERT_GT(train_left, 0);
  ASSERT_GT(val_right, 0);
  EXPECT_LT(train_left, train_right);
  EXPECT_GT(val_left, val_right);
  // The second panel has its own train line and no validation line.
  EXPECT_GT(mean_row_of(image, kTrainColor, 462, 790), 0);
  EXPECT_LT(mean_row_of(image, kValidationColor, 462, 760), 0);
}

TEST(CurvesPng, NonFiniteValuesAreLeftOutAndAnEmptyPanelSaysSo) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor image = render_curves(
      {{"loss", {{"train", {nan, 1.0, INFINITY, 0.5}, kTrainColor}}}, {"accuracy", {{"train", {nan}, kTrainColor}}}},
      300, 200);
  EXPECT_GT(mean_row_of(image, kTrainColor, 0, 300), 0);
  EXPECT_LT(mean_row_of(image, kTrainColor, 300, 600), 0);  // nothing finite to draw
}

TEST(CurvesPng, RefusesNoPanelsAndAbsurdSizes) {
  EXPECT_THROW(render_curves({}), InvalidArgument);
  EXPECT_THROW(render_curves({loss_panel()}, 10, 10), InvalidArgument);
  EXPECT_THROW(render_curves({loss_panel()}, 100000, 300), InvalidArgument);
}

TEST(CurvesPng, WritesAPngThatDecodesToTheRenderedPixels) {
  const auto path = std::filesystem::temp_directory_path() / "spool_curves_png_test.png";
  write_curves_png(path.string(), {loss_panel()});
  const Tensor expected = render_curves({loss_panel()});
  const std::string bytes = testing::read_file(path.string());
  std::filesystem::remove(path);
  const Tensor decoded = data::decode_png(bytes, path.string());
  ASSERT_EQ(decoded.shape(), expected.shape());
  EXPECT_EQ(0, std::memcmp(decoded.data<std::uint8_t>(), expected.data<std::uint8_t>(),
                           static_cast<std::size_t>(expected.numel())));
}

}  // namespace
}  // namespace spool::distribute
