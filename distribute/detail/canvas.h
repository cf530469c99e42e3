// Canvas: an RGB raster with the few drawing primitives a training plot needs (filled
// rectangles, thick lines, discs, dashed grid lines and 5x7 bitmap text), so curves.png
// needs nothing beyond libpng.
// Coordinates are pixels, origin top-left; anything outside the canvas is clipped.
// Thread-safety: a plain value.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace spool::distribute::detail {

using Rgb = std::array<std::uint8_t, 3>;

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb at(int x, int y) const;
  // Row-major H x W x 3 bytes.
  const std::vector<std::uint8_t>& pixels() const { return pixels_; }

  void set(int x, int y, Rgb color);
  void fill_rect(int x0, int y0, int x1, int y1, Rgb color);  // inclusive corners
  void disc(double cx, double cy, double radius, Rgb color);
  // A line `thickness` pixels wide: discs stamped along it every half pixel.
  void line(double x0, double y0, double x1, double y1, double thickness, Rgb color);
  void dashed_hline(int x0, int x1, int y, Rgb color);
  // Text in the 5x7 font, each font pixel drawn as scale x scale; (x, y) is the top-left.
  // Letters are drawn lower-case; characters the font lacks are drawn as a box.
  void text(int x, int y, std::string_view s, Rgb color, int scale = 1);
  static int text_width(std::string_view s, int scale = 1) { return static_cast<int>(s.size()) * 6 * scale; }
  static int text_height(int scale = 1) { return 7 * scale; }

 private:
  int width_;
  int height_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace spool::distribute::detail
