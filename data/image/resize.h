// resize: tf.image.resize (TensorFlow 2) for one image [H, W, C] or a batch [N, H, W, C].
//
//   Tensor small = resize(img, {150, 150});                                // bilinear, f32
//   Tensor thumb = resize(img, {64, 64}, ResizeMethod::kBicubic, /*antialias=*/true);
//   ds.map(resize_fn({150, 150}), MapOptions().parallelism(2));            // the "image" (0th) component
//
// Semantics, as TensorFlow 2's kernels (tf.image.resize, half-pixel centres):
// - kBilinear: source coordinate (x + 0.5) * in/out - 0.5, the two neighbours clamped
//   to the image (resize_bilinear, half_pixel_centers=True).
// - kNearest: source index floor((x + 0.5) * in/out), clamped (resize_nearest_neighbor,
//   half_pixel_centers=True); keeps the input dtype. Ignores antialias, as TF.
// - kBicubic: Keys' cubic with a = -0.5 at the same coordinates as bilinear; taps
//   outside the image get weight 0 and the rest are renormalised; weights come from a
//   1024-entry table as in TF's resize_bicubic, so the numbers match it bit for bit
//   in the weights.
// - kArea: each output pixel averages the input area it covers (resize_area,
//   align_corners=False), fractional pixels weighted by coverage. Ignores antialias.
// - antialias (bilinear and bicubic only) uses TF's scale_and_translate: when
//   downsampling, the triangle / Keys kernel is stretched by in/out so every input
//   pixel contributes; when upsampling it equals the plain method.
// The result is f32 (except kNearest), values not clamped (bicubic overshoots). A
// u8 -> f32 bilinear resize takes a fast separable path with precomputed weights.
// Errors: InvalidArgument naming the shape for a rank other than 3 or 4, an empty
// image, or a non-positive target size.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "spool/data/image/transform.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

enum class ResizeMethod { kNearest, kBilinear, kArea, kBicubic };

// "nearest", "bilinear", "area" or "bicubic"; InvalidArgument otherwise.
ResizeMethod parse_resize_method(std::string_view name);

struct ImageSize {
  std::int64_t height = 0;
  std::int64_t width = 0;
};

Tensor resize(const Tensor& image, ImageSize size, ResizeMethod method = ResizeMethod::kBilinear,
              bool antialias = false);

// A map function resizing component `which` of each element.
MapFn resize_fn(ImageSize size, ResizeMethod method = ResizeMethod::kBilinear, bool antialias = false,
                ImageComponent which = {});

}  // namespace spool::data
