// Training curves as a PNG: one panel per quantity (loss, accuracy), epochs on the x
// axis, one coloured line with markers per series (train, validation), nice ticks,
// a legend; drawn on an RGB canvas and written with libpng (data/image's encoder).
//
//   CurvePanel loss{"loss", {{"train", train_losses, kTrainColor},
//                            {"validation", val_losses, kValidationColor}}};
//   write_curves_png(out + "/curves.png", {loss, accuracy});   // spool train, every epoch
//
// Values that are not finite are left out (the line breaks there) rather than
// stretching the axis to infinity.
// Thread-safety: free functions without shared state.
#pragma once

#include <string>
#include <vector>

#include "spool/distribute/detail/canvas.h"
#include "spool/tensor/tensor.h"

namespace spool::distribute {

struct CurveSeries {
  std::string label;
  std::vector<double> values;  // values[i] belongs to epoch i + 1
  detail::Rgb color;
};

struct CurvePanel {
  std::string title;
  std::vector<CurveSeries> series;
  // The x axis: values[i] is drawn at x_first + i. Bars (a histogram, such as
  // the staleness counts of parameter-server training) rise from 0 instead of a line.
  std::string x_label = "epoch";
  int x_first = 1;
  bool bars = false;
};

inline constexpr detail::Rgb kTrainColor = {31, 119, 180};       // the blue and orange
inline constexpr detail::Rgb kValidationColor = {255, 127, 14};  // people know from matplotlib

// The panels side by side, each panel_width x panel_height pixels: u8 [H, W, 3].
Tensor render_curves(const std::vector<CurvePanel>& panels, int panel_width = 480, int panel_height = 340);

// Renders and writes the PNG atomically (temporary name, then rename).
void write_curves_png(const std::string& path, const std::vector<CurvePanel>& panels);

}  // namespace spool::distribute
