#include "spool/distribute/curves_png.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "spool/data/image/png.h"
#include "spool/tensor/atomic_file.h"
#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

using detail::Canvas;
using detail::Rgb;

constexpr Rgb kWhite = {255, 255, 255};
constexpr Rgb kInk = {40, 40, 40};
constexpr Rgb kGrid = {215, 215, 215};

// 1, 2 or 5 times a power of ten, the smallest not below raw.
double nice_step(double raw) {
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

std::string tick_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::abs(value) < step * 1e-6 ? 0.0 : value);
  return buf;
}

void draw_panel(Canvas& canvas, int left, const CurvePanel& panel, int width, int height) {
  // The plot area inside the panel: room for tick labels on the left and below.
  const int x0 = left + 62, x1 = left + width - 16, y0 = 30, y1 = height - 46;
  canvas.text(left + (width - Canvas::text_width(panel.title, 2)) / 2, 8, panel.title, kInk, 2);

  std::size_t epochs = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : panel.series) {
    epochs = std::max(epochs, s.values.size());
    for (double v : s.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) {
    canvas.text(x0 + 10, (y0 + y1) / 2, "no data", kInk, 2);
    return;
  }
  if (panel.bars) lo = std::min(lo, 0.0);
  if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
  const double ystep = nice_step((hi - lo) / 5);
  lo = std::floor(lo / ystep) * ystep;
  hi = std::ceil(hi / ystep) * ystep;
  // One point is in the middle; more spread over the width (bars keep half a bar of room).
  const double pad = panel.bars ? 0.5 : 0.0;
  const double xlo = epochs > 1 ? 1.0 - pad : 0.0, xhi = epochs > 1 ? static_cast<double>(epochs) + pad : 2.0;
  auto px = [&](double epoch) { return x0 + (epoch - xlo) / (xhi - xlo) * (x1 - x0); };
  auto py = [&](double v) { return y1 - (v - lo) / (hi - lo) * (y1 - y0); };

  for (double v = lo; v <= hi + ystep * 1e-6; v += ystep) {
    const int y = static_cast<int>(std::lround(py(v)));
    canvas.dashed_hline(x0, x1, y, kGrid);
    const std::string label = tick_label(v, ystep);
    canvas.text(x0 - 6 - Canvas::text_width(label), y - 3, label, kInk);
  }
  const auto xstep = static_cast<std::size_t>(std::max(1.0, nice_step(static_cast<double>(epochs) / 8)));
  for (std::size_t e = 1; e <= epochs; e += xstep) {
    const int x = static_cast<int>(std::lround(px(static_cast<double>(e))));
    canvas.fill_rect(x, y1, x, y1 + 4, kInk);
    const std::string label = std::to_string(static_cast<long long>(e) - 1 + panel.x_first);
    canvas.text(x - Canvas::text_width(label) / 2, y1 + 8, label, kInk);
  }
  canvas.fill_rect(x0, y0, x0, y1, kInk);
  canvas.fill_rect(x0, y1, x1, y1, kInk);
  canvas.text((x0 + x1 - Canvas::text_width(panel.x_label, 2)) / 2, height - 20, panel.x_label, kInk, 2);

  // The legend goes in the right-hand corner the lines leave free at their end.
  double end_sum = 0;
  int end_count = 0;
  for (const auto& s : panel.series) {
    for (auto it = s.values.rbegin(); it != s.values.rend(); ++it) {
      if (std::isfinite(*it)) {
        end_sum += (*it - lo) / (hi - lo), ++end_count;
        break;
      }
    }
  }
  const bool legend_low = end_count > 0 && end_sum / end_count > 0.5;
  int legend_y = legend_low ? y1 - 8 - 14 * static_cast<int>(panel.series.size()) : y0 + 4;
  for (const auto& s : panel.series) {
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      if (!std::isfinite(s.values[i])) continue;
      const double x = px(static_cast<double>(i + 1)), y = py(s.values[i]);
      if (panel.bars) {
        const double half = std::max(1.0, (px(2.0) - px(1.0)) * 0.35 / static_cast<double>(panel.series.size()));
        const double shift = (static_cast<double>(&s - panel.series.data()) -
                              (static_cast<double>(panel.series.size()) - 1) / 2) * 2 * half;
        canvas.fill_rect(static_cast<int>(std::lround(x + shift - half)), static_cast<int>(std::lround(y)),
                         static_cast<int>(std::lround(x + shift + half)), static_cast<int>(std::lround(py(0))), s.color);
        continue;
      }
      if (i + 1 < s.values.size() && std::isfinite(s.values[i + 1])) {
        canvas.line(x, y, px(static_cast<double>(i + 2)), py(s.values[i + 1]), 2.5, s.color);
      }
      canvas.disc(x, y, 3.5, s.color);
    }
    const int lx = x1 - 8 - Canvas::text_width(s.label) - 24;
    canvas.line(lx, legend_y + 3, lx + 18, legend_y + 3, 2.5, s.color);
    canvas.text(lx + 24, legend_y, s.label, kInk);
    legend_y += 14;
  }
}

}  // namespace

Tensor render_curves(const std::vector<CurvePanel>& panels, int panel_width, int panel_height) {
  SPOOL_CHECK(!panels.empty(), InvalidArgument, "render_curves: no panels to draw");
  SPOOL_CHECK(panel_width >= 160 && panel_height >= 120 && panel_width <= 4096 && panel_height <= 4096,
              InvalidArgument,
              "render_curves: panel size ", panel_width, "x", panel_height, " is outside 160x120..4096x4096");
  Canvas canvas(panel_width * static_cast<int>(panels.size()), panel_height, kWhite);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    draw_panel(canvas, static_cast<int>(i) * panel_width, panels[i], panel_width, panel_height);
  }
  Tensor image = Tensor::empty(Shape{canvas.height(), canvas.width(), 3}, DType::kU8);
  std::memcpy(image.data<std::uint8_t>(), canvas.pixels().data(), canvas.pixels().size());
  return image;
}

void write_curves_png(const std::string& path, const std::vector<CurvePanel>& panels) {
  const std::string png = data::encode_png(render_curves(panels));
  spool::detail::AtomicFile file(path);
  file.write(png.data(), png.size());
  file.commit();
}

}  // namespace spool::distribute
