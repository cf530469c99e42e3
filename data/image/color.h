// Pixel-value transforms, as tf.image: convert_image_dtype, per-channel normalisation,
// adjust_brightness / adjust_contrast and their random versions; Keras' Rescaling; and
// the rounding of f32 pixels back to u8 before they are encoded.
//
//   Tensor x = convert_dtype(img, DType::kF32);                  // u8 -> f32 in [0, 1]
//   Tensor z = normalize(x, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f});
//   Tensor s = rescale(img, 1.0f / (255 * 0.353f), -0.286f / 0.353f);  // x / 255, then (x - mean) / std
//   Tensor u = round_to_u8(resize(img, {150, 150}));             // f32 in [0, 255] -> u8
//   ds.map(random_brightness_fn(0.2), MapOptions().seed(5));
//
// Brightness and contrast work as TensorFlow's: a u8 image is converted to f32 in
// [0, 1], adjusted, and converted back (rounded, saturated to [0, 255]); an f32 image
// is adjusted as is and not clamped. Random versions draw one value per image of a
// batch. Errors: InvalidArgument naming the shape and the bad value.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "spool/data/image/transform.h"
#include "spool/tensor/random.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

// u8 -> f32: x / 255. f32 -> u8: x * 255, rounded and saturated to [0, 255]
// (convert_image_dtype with saturate=True). Same dtype: unchanged. Any rank.
Tensor convert_dtype(const Tensor& image, DType dtype);
// x * scale + offset in f32, as keras.layers.Rescaling: rescale(u8, 1 / 255.f) is
// convert_dtype(u8, kF32), bit for bit. u8 or f32 input, any rank.
Tensor rescale(const Tensor& image, float scale, float offset = 0.0f);
// The same over raw buffers (in.size() == out.size()), for a caller that fills memory of
// its own (a batch being assembled).
void rescale(std::span<const std::uint8_t> in, std::span<float> out, float scale, float offset = 0.0f);
void rescale(std::span<const float> in, std::span<float> out, float scale, float offset = 0.0f);
// f32 -> u8 of the same values (no scaling, unlike convert_dtype): rounded to nearest,
// halves away from zero, and saturated to [0, 255]. For a resize's f32 result that is
// to be encoded again. Any rank.
Tensor round_to_u8(const Tensor& image);
// (x - mean[c]) / stddev[c] in f32; mean and stddev have C values, or one for all channels.
Tensor normalize(const Tensor& image, const std::vector<float>& mean, const std::vector<float>& stddev);
// x + delta (delta in the [0, 1] scale for u8 images).
Tensor adjust_brightness(const Tensor& image, double delta);
// (x - mean) * factor + mean, with the mean of each channel over the image's pixels.
Tensor adjust_contrast(const Tensor& image, double factor);
// delta uniform in [-max_delta, max_delta); max_delta >= 0.
Tensor random_brightness(const Tensor& image, double max_delta, Generator& gen);
// factor uniform in [lower, upper); 0 <= lower < upper.
Tensor random_contrast(const Tensor& image, double lower, double upper, Generator& gen);

MapFn convert_dtype_fn(DType dtype, ImageComponent which = {});
MapFn rescale_fn(float scale, float offset = 0.0f, ImageComponent which = {});
MapFn normalize_fn(std::vector<float> mean, std::vector<float> stddev, ImageComponent which = {});
RandomMapFn random_brightness_fn(double max_delta, ImageComponent which = {});
RandomMapFn random_contrast_fn(double lower, double upper, ImageComponent which = {});

}  // namespace spool::data
