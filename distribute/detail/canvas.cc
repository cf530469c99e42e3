#include "spool/distribute/detail/canvas.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "spool/distribute/detail/bitmap_font.h"

namespace spool::distribute::detail {

Canvas::Canvas(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3) {
  for (std::size_t i = 0; i < pixels_.size(); i += 3) {
    std::copy(background.begin(), background.end(), pixels_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

Rgb Canvas::at(int x, int y) const {
  const std::size_t i = (static_cast<std::size_t>(y) * width_ + x) * 3;
  return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
}

void Canvas::set(int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  const std::size_t i = (static_cast<std::size_t>(y) * width_ + x) * 3;
  pixels_[i] = color[0];
  pixels_[i + 1] = color[1];
  pixels_[i + 2] = color[2];
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Rgb color) {
  for (int y = std::max(0, y0); y <= std::min(height_ - 1, y1); ++y) {
    for (int x = std::max(0, x0); x <= std::min(width_ - 1, x1); ++x) set(x, y, color);
  }
}

void Canvas::disc(double cx, double cy, double radius, Rgb color) {
  const int x0 = static_cast<int>(std::floor(cx - radius)), x1 = static_cast<int>(std::ceil(cx + radius));
  const int y0 = static_cast<int>(std::floor(cy - radius)), y1 = static_cast<int>(std::ceil(cy + radius));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double dx = x - cx, dy = y - cy;
      if (dx * dx + dy * dy <= radius * radius) set(x, y, color);
    }
  }
}

void Canvas::line(double x0, double y0, double x1, double y1, double thickness, Rgb color) {
  const double length = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(std::ceil(length * 2)));
  for (int i = 0; i <= steps; ++i) {
    const double t = static_cast<double>(i) / steps;
    disc(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, thickness / 2, color);
  }
}

void Canvas::dashed_hline(int x0, int x1, int y, Rgb color) {
  for (int x = x0; x <= x1; ++x) {
    if ((x - x0) % 6 < 3) set(x, y, color);
  }
}

void Canvas::text(int x, int y, std::string_view s, Rgb color, int scale) {
  for (char c : s) {
    const auto& rows = glyph_5x7(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    for (int r = 0; r < 7; ++r) {
      for (int col = 0; col < 5; ++col) {
        if ((rows[r] >> (4 - col)) & 1) fill_rect(x + col * scale, y + r * scale, x + (col + 1) * scale - 1,
                                                  y + (r + 1) * scale - 1, color);
      }
    }
    x += 6 * scale;
  }
}

}  // namespace spool::distribute::detail
