// Pixel-value transforms over contiguous f32 buffers; u8 images go through
// convert_dtype both ways, as TensorFlow's adjust_* do. Legend: N batch, C channels.
#include "spool/data/image/color.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "spool/tensor/error.h"
#include "spool/tensor/target_clones.h"

namespace spool::data {
namespace {

// Runs `f` on the image as f32 (a fresh copy) and returns the result in the input dtype.
template <typename F>
Tensor in_float(const Tensor& image, const char* op, F f) {
  SPOOL_CHECK(image.dtype() == DType::kU8 || image.dtype() == DType::kF32, InvalidArgument, op,
              ": expected a u8 or f32 image, got ", dtype_name(image.dtype()), " of shape ", image.shape().to_string());
  Tensor x = image.dtype() == DType::kU8 ? convert_dtype(image, DType::kF32) : image.clone();
  f(x);
  return image.dtype() == DType::kU8 ? convert_dtype(x, DType::kU8) : x;
}

double uniform(Generator& gen, double lo, double hi) { return lo + (hi - lo) * gen.next_double(); }

}  // namespace

Tensor convert_dtype(const Tensor& image, DType dtype) {
  if (image.dtype() == dtype) return image;
  const Tensor src = image.contiguous();
  const std::int64_t n = src.numel();
  if (image.dtype() == DType::kU8 && dtype == DType::kF32) return rescale(src, 1.0f / 255.0f);
  if (image.dtype() == DType::kF32 && dtype == DType::kU8) {
    Tensor out = Tensor::empty(image.shape(), DType::kU8);
    const float* s = src.data<float>();
    std::uint8_t* d = out.data<std::uint8_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      d[i] = static_cast<std::uint8_t>(std::clamp(std::nearbyint(s[i] * 255.0f), 0.0f, 255.0f));
    }
    return out;
  }
  SPOOL_THROW(InvalidArgument, "convert_dtype: converts u8 <-> f32 only, got ", dtype_name(image.dtype()), " -> ",
              dtype_name(dtype), " for shape ", image.shape().to_string());
}

namespace {
// The normalising map of every image pipeline (bench_pipeline fashion_mnist).
template <typename T>
SPOOL_ALWAYS_INLINE inline void rescale_values(std::span<const T> in, std::span<float> out, float scale, float offset) {
  SPOOL_CHECK(in.size() == out.size(), InvalidArgument, "rescale: ", in.size(), " values in, room for ", out.size(),
              " out");
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = static_cast<float>(in[i]) * scale + offset;
}
}  // namespace

SPOOL_AVX2_CLONES void rescale(std::span<const std::uint8_t> in, std::span<float> out, float scale, float offset) {
  rescale_values(in, out, scale, offset);
}
SPOOL_AVX2_CLONES void rescale(std::span<const float> in, std::span<float> out, float scale, float offset) {
  rescale_values(in, out, scale, offset);
}

Tensor rescale(const Tensor& image, float scale, float offset) {
  SPOOL_CHECK(image.dtype() == DType::kU8 || image.dtype() == DType::kF32, InvalidArgument,
              "rescale: expected a u8 or f32 image, got ", dtype_name(image.dtype()), " of shape ",
              image.shape().to_string());
  const Tensor src = image.contiguous();
  Tensor out = Tensor::empty(image.shape(), DType::kF32);
  const auto n = static_cast<std::size_t>(src.numel());
  const std::span<float> dst(out.data<float>(), n);
  if (src.dtype() == DType::kU8) {
    rescale(std::span<const std::uint8_t>(src.data<std::uint8_t>(), n), dst, scale, offset);
  } else {
    rescale(std::span<const float>(src.data<float>(), n), dst, scale, offset);
  }
  return out;
}

Tensor round_to_u8(const Tensor& image) {
  SPOOL_CHECK(image.dtype() == DType::kF32, InvalidArgument, "round_to_u8: expected f32 values, got ",
              dtype_name(image.dtype()), " of shape ", image.shape().to_string());
  const Tensor src = image.contiguous();
  Tensor out = Tensor::empty(image.shape(), DType::kU8);
  const float* s = src.data<float>();
  std::uint8_t* d = out.data<std::uint8_t>();
  for (std::int64_t i = 0, n = src.numel(); i < n; ++i) {
    d[i] = static_cast<std::uint8_t>(std::lround(std::clamp(s[i], 0.0f, 255.0f)));
  }
  return out;
}

Tensor normalize(const Tensor& image, const std::vector<float>& mean, const std::vector<float>& stddev) {
  const detail::ImageLayout l = detail::image_layout(image, "normalize");
  const auto c = static_cast<std::size_t>(l.c);
  SPOOL_CHECK((mean.size() == c || mean.size() == 1) && (stddev.size() == c || stddev.size() == 1), InvalidArgument,
              "normalize: ", mean.size(), " means and ", stddev.size(), " stds for ", c,
              " channels (give C values or one) of an image of shape ", image.shape().to_string());
  std::vector<float> m(c), inv(c);
  for (std::size_t k = 0; k < c; ++k) {
    m[k] = mean[mean.size() == 1 ? 0 : k];
    const float s = stddev[stddev.size() == 1 ? 0 : k];
    SPOOL_CHECK(s != 0, InvalidArgument, "normalize: std of channel ", k, " is 0");
    inv[k] = 1.0f / s;
  }
  Tensor out = image.dtype() == DType::kF32 ? image.clone() : image.cast(DType::kF32);
  float* d = out.data<float>();
  const std::int64_t pixels = out.numel() / l.c;
  for (std::int64_t p = 0; p < pixels; ++p, d += l.c) {
    for (std::size_t k = 0; k < c; ++k) d[k] = (d[k] - m[k]) * inv[k];
  }
  return out;
}

Tensor adjust_brightness(const Tensor& image, double delta) {
  return in_float(image, "adjust_brightness", [&](Tensor& x) {
    float* d = x.data<float>();
    for (std::int64_t i = 0, n = x.numel(); i < n; ++i) d[i] += static_cast<float>(delta);
  });
}

Tensor adjust_contrast(const Tensor& image, double factor) {
  const detail::ImageLayout l = detail::image_layout(image, "adjust_contrast");
  return in_float(image, "adjust_contrast", [&](Tensor& x) {
    const std::int64_t pixels = l.h * l.w;
    float* base = x.data<float>();
    for (std::int64_t n = 0; n < l.n; ++n) {
      float* img = base + n * pixels * l.c;
      std::vector<double> mean(static_cast<std::size_t>(l.c), 0.0);
      for (std::int64_t p = 0; p < pixels; ++p) {
        for (std::int64_t k = 0; k < l.c; ++k) mean[k] += img[p * l.c + k];
      }
      for (double& m : mean) m /= static_cast<double>(pixels);
      for (std::int64_t p = 0; p < pixels; ++p) {
        for (std::int64_t k = 0; k < l.c; ++k) {
          float& v = img[p * l.c + k];
          v = static_cast<float>((v - mean[k]) * factor + mean[k]);
        }
      }
    }
  });
}

Tensor random_brightness(const Tensor& image, double max_delta, Generator& gen) {
  SPOOL_CHECK(max_delta >= 0, InvalidArgument, "random_brightness: max_delta must be >= 0, got ", max_delta);
  detail::image_layout(image, "random_brightness");
  return detail::per_image(image, [&](const Tensor& one) {
    return adjust_brightness(one, uniform(gen, -max_delta, max_delta));
  });
}

Tensor random_contrast(const Tensor& image, double lower, double upper, Generator& gen) {
  SPOOL_CHECK(lower >= 0 && lower < upper, InvalidArgument, "random_contrast: need 0 <= lower < upper, got [",
              lower, ", ", upper, ")");
  detail::image_layout(image, "random_contrast");
  return detail::per_image(image, [&](const Tensor& one) { return adjust_contrast(one, uniform(gen, lower, upper)); });
}

MapFn convert_dtype_fn(DType dtype, ImageComponent which) {
  return elementwise(image_map_fn([dtype](const Tensor& t) { return convert_dtype(t, dtype); }, std::move(which)));
}
MapFn rescale_fn(float scale, float offset, ImageComponent which) {
  return elementwise(
      image_map_fn([scale, offset](const Tensor& t) { return rescale(t, scale, offset); }, std::move(which)));
}
MapFn normalize_fn(std::vector<float> mean, std::vector<float> stddev, ImageComponent which) {
  return image_map_fn([mean = std::move(mean), stddev = std::move(stddev)](const Tensor& t) { return normalize(t, mean, stddev); },
                      std::move(which));
}
RandomMapFn random_brightness_fn(double max_delta, ImageComponent which) {
  return image_random_map_fn([max_delta](const Tensor& t, Generator& g) { return random_brightness(t, max_delta, g); },
                             std::move(which));
}
RandomMapFn random_contrast_fn(double lower, double upper, ImageComponent which) {
  return image_random_map_fn(
      [lower, upper](const Tensor& t, Generator& g) { return random_contrast(t, lower, upper, g); }, std::move(which));
}

}  // namespace spool::data
