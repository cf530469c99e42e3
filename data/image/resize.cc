// resize: every method is separable, so each one is a pair of per-axis weight tables
// (output index -> taps of (input index, weight)) applied along W, then along H.
// Legend: N batch, H,W spatial, C channels; "in"/"out" sizes along one axis.
// The tables follow TensorFlow 2's kernels (resize_bilinear_op.cc, resize_bicubic_op.cc,
// resize_area_op.cc, scale_and_translate_op.cc, image_resizer_state.h): same
// coordinates, same clamping and renormalisation, computed in float as there.
#include "spool/data/image/resize.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// Output index i reads taps idx[i*taps + k] with weight w[i*taps + k].
struct AxisWeights {
  std::int64_t taps = 0;
  std::vector<std::int32_t> idx;
  std::vector<float> w;
};

AxisWeights sized(std::int64_t out, std::int64_t taps) {
  AxisWeights a;
  a.taps = taps;
  a.idx.assign(static_cast<std::size_t>(out * taps), 0);
  a.w.assign(static_cast<std::size_t>(out * taps), 0.0f);
  return a;
}

// resize_bilinear, half_pixel_centers: in = (i + 0.5) * scale - 0.5 with scale = in/out;
// lower = max(floor(in), 0), upper = min(ceil(in), in - 1), lerp = in - floor(in).
AxisWeights bilinear_weights(std::int64_t in, std::int64_t out) {
  AxisWeights a = sized(out, 2);
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (std::int64_t i = 0; i < out; ++i) {
    const float x = (static_cast<float>(i) + 0.5f) * scale - 0.5f;
    const float xf = std::floor(x);
    const float lerp = x - xf;
    a.idx[2 * i] = static_cast<std::int32_t>(std::max<std::int64_t>(static_cast<std::int64_t>(xf), 0));
    a.idx[2 * i + 1] = static_cast<std::int32_t>(std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(x)), in - 1));
    a.w[2 * i] = 1.0f - lerp;
    a.w[2 * i + 1] = lerp;
  }
  return a;
}

// resize_bicubic's Keys table (a = -0.5), 1024 steps: entry 2j is the kernel at j/1024,
// entry 2j + 1 at 1 + j/1024.
constexpr std::int64_t kTableSize = 1024;
const std::array<float, (kTableSize + 1) * 2>& keys_table() {
  static const auto table = [] {
    std::array<float, (kTableSize + 1) * 2> t{};
    const double a = -0.5;
    for (std::int64_t i = 0; i <= kTableSize; ++i) {
      float x = static_cast<float>(static_cast<double>(i) / kTableSize);
      t[2 * i] = static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
      x += 1.0f;
      t[2 * i + 1] = static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
    }
    return t;
  }();
  return table;
}

// resize_bicubic, half_pixel_centers: taps floor(in) - 1 .. floor(in) + 2, weights by
// the table at round(delta * 1024); taps outside the image get weight 0 and the rest
// are renormalised to sum 1 (TF's Keys-cubic border rule).
AxisWeights bicubic_weights(std::int64_t in, std::int64_t out) {
  AxisWeights a = sized(out, 4);
  const auto& t = keys_table();
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (std::int64_t i = 0; i < out; ++i) {
    const float x = (static_cast<float>(i) + 0.5f) * scale - 0.5f;
    const auto loc = static_cast<std::int64_t>(std::floor(x));
    const float delta = x - static_cast<float>(loc);
    const auto off = static_cast<std::int64_t>(std::lrintf(delta * kTableSize));
    const std::array<float, 4> w{t[off * 2 + 1], t[off * 2], t[(kTableSize - off) * 2],
                                 t[(kTableSize - off) * 2 + 1]};
    float sum = 0;
    for (std::int64_t k = 0; k < 4; ++k) {
      const std::int64_t at = loc - 1 + k;
      const bool inside = at >= 0 && at < in;
      a.idx[4 * i + k] = static_cast<std::int32_t>(std::clamp<std::int64_t>(at, 0, in - 1));
      a.w[4 * i + k] = inside ? w[k] : 0.0f;
      sum += a.w[4 * i + k];
    }
    if (std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      for (std::int64_t k = 0; k < 4; ++k) a.w[4 * i + k] /= sum;
    }
  }
  return a;
}

// resize_area, align_corners=False: output i covers [i * scale, (i + 1) * scale) of the
// input, scale = in/out; each input pixel j weighs its overlap with that interval,
// divided by scale (so the weights of one output sum to 1).
AxisWeights area_weights(std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  std::int64_t taps = 1;
  for (std::int64_t i = 0; i < out; ++i) {
    const float lo = static_cast<float>(i) * scale;
    const float hi = static_cast<float>(i + 1) * scale;
    taps = std::max(taps, static_cast<std::int64_t>(std::ceil(hi)) - static_cast<std::int64_t>(std::floor(lo)));
  }
  AxisWeights a = sized(out, taps);
  for (std::int64_t i = 0; i < out; ++i) {
    const float lo = static_cast<float>(i) * scale;
    const float hi = static_cast<float>(i + 1) * scale;
    const auto start = static_cast<std::int64_t>(std::floor(lo));
    const auto end = static_cast<std::int64_t>(std::ceil(hi));
    for (std::int64_t j = start, k = 0; j < end; ++j, ++k) {
      const float cover = std::min(static_cast<float>(j + 1), hi) - std::max(static_cast<float>(j), lo);
      a.idx[i * taps + k] = static_cast<std::int32_t>(std::min(j, in - 1));
      a.w[i * taps + k] = cover / scale;
    }
  }
  return a;
}

float triangle_kernel(float x) { return x < 1.0f ? 1.0f - x : 0.0f; }
float keys_kernel(float x) {
  if (x >= 2.0f) return 0.0f;
  if (x >= 1.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
  return ((1.5f * x - 2.5f) * x) * x + 1.0f;
}

// scale_and_translate (translation 0): output i samples at s = (i + 0.5) / scale with
// scale = out/in; the kernel is stretched by max(1/scale, 1) (antialias), its support
// is the input pixels whose centres j + 0.5 lie within radius * stretch of s, and the
// weights kernel(|j + 0.5 - s| / stretch) are renormalised to sum 1.
AxisWeights antialias_weights(std::int64_t in, std::int64_t out, float (*kernel)(float), float radius) {
  const float scale = static_cast<float>(out) / static_cast<float>(in);
  const float inv_scale = 1.0f / scale;
  const float stretch = std::max(inv_scale, 1.0f);
  const std::int64_t taps =
      std::min<std::int64_t>(2 * static_cast<std::int64_t>(std::ceil(radius * stretch)) + 1, in);
  AxisWeights a = sized(out, taps);
  for (std::int64_t i = 0; i < out; ++i) {
    const float s = (static_cast<float>(i) + 0.5f) * inv_scale;
    auto start = static_cast<std::int64_t>(std::ceil(s - radius * stretch - 0.5f));
    auto end = static_cast<std::int64_t>(std::floor(s + radius * stretch - 0.5f));
    start = std::clamp<std::int64_t>(start, 0, in - 1);
    end = std::clamp<std::int64_t>(end, 0, in - 1) + 1;
    float sum = 0;
    for (std::int64_t j = start, k = 0; j < end && k < taps; ++j, ++k) {
      const float w = kernel(std::abs((static_cast<float>(j) + 0.5f - s) / stretch));
      a.idx[i * taps + k] = static_cast<std::int32_t>(j);
      a.w[i * taps + k] = w;
      sum += w;
    }
    if (std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      for (std::int64_t k = 0; k < taps; ++k) a.w[i * taps + k] /= sum;
    }
  }
  return a;
}

AxisWeights weights_for(ResizeMethod method, bool antialias, std::int64_t in, std::int64_t out) {
  switch (method) {
    case ResizeMethod::kBilinear:
      return antialias ? antialias_weights(in, out, triangle_kernel, 1.0f) : bilinear_weights(in, out);
    case ResizeMethod::kBicubic:
      return antialias ? antialias_weights(in, out, keys_kernel, 2.0f) : bicubic_weights(in, out);
    case ResizeMethod::kArea:
      return area_weights(in, out);
    case ResizeMethod::kNearest:
      break;
  }
  SPOOL_THROW(InternalError, "resize: no weights for nearest");
}

// The horizontal pass of one row: out[x][ch] = sum_k w[x][k] * row[idx[x][k]][ch].
// kTaps / kC > 0 fix the tap and channel counts at compile time (the common bilinear
// RGB case unrolls fully); 0 means "read them at run time".
template <std::int64_t kTaps, std::int64_t kC, typename In>
void horizontal_row(const In* row, const AxisWeights& wx, std::int64_t out_w, std::int64_t c_rt, float* out) {
  const std::int64_t taps = kTaps > 0 ? kTaps : wx.taps;
  const std::int64_t c = kC > 0 ? kC : c_rt;
  const std::int32_t* idx = wx.idx.data();
  const float* w = wx.w.data();
  for (std::int64_t x = 0; x < out_w; ++x, idx += taps, w += taps, out += c) {
    for (std::int64_t ch = 0; ch < c; ++ch) {
      float sum = 0.0f;
      for (std::int64_t k = 0; k < taps; ++k) sum += w[k] * static_cast<float>(row[static_cast<std::int64_t>(idx[k]) * c + ch]);
      out[ch] = sum;
    }
  }
}

// One image: rows [H_in, W_in, C] of In -> tmp [H_in, W_out, C] -> out [H_out, W_out, C].
// The horizontal pass reads the source type directly, so u8 input needs no f32 copy;
// only the input rows some output row uses are computed.
template <typename In>
void resize_one(const In* src, std::int64_t in_w, std::int64_t c, const AxisWeights& wy, const AxisWeights& wx,
                std::int64_t in_h, std::int64_t out_h, std::int64_t out_w, float* tmp, float* dst) {
  std::vector<char> needed(static_cast<std::size_t>(in_h), 0);
  for (std::size_t k = 0; k < wy.idx.size(); ++k) {
    if (wy.w[k] != 0.0f) needed[static_cast<std::size_t>(wy.idx[k])] = 1;
  }
  const std::int64_t row_len = out_w * c;
  for (std::int64_t y = 0; y < in_h; ++y) {
    if (!needed[static_cast<std::size_t>(y)]) continue;
    const In* row = src + y * in_w * c;
    float* t = tmp + y * row_len;
    if (wx.taps == 2 && c == 3) {
      horizontal_row<2, 3>(row, wx, out_w, c, t);
    } else if (wx.taps == 2 && c == 1) {
      horizontal_row<2, 1>(row, wx, out_w, c, t);
    } else {
      horizontal_row<0, 0>(row, wx, out_w, c, t);
    }
  }
  const std::int64_t ty = wy.taps;
  for (std::int64_t y = 0; y < out_h; ++y) {
    float* o = dst + y * row_len;
    std::fill(o, o + row_len, 0.0f);
    for (std::int64_t k = 0; k < ty; ++k) {
      const float w = wy.w[static_cast<std::size_t>(y * ty + k)];
      if (w == 0.0f) continue;
      const float* t = tmp + static_cast<std::int64_t>(wy.idx[static_cast<std::size_t>(y * ty + k)]) * row_len;
      for (std::int64_t j = 0; j < row_len; ++j) o[j] += w * t[j];
    }
  }
}

// resize_nearest_neighbor, half_pixel_centers: floor((i + 0.5) * in/out), clamped.
std::vector<std::int64_t> nearest_index(std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(out));
  for (std::int64_t i = 0; i < out; ++i) {
    const auto at = static_cast<std::int64_t>(std::floor((static_cast<float>(i) + 0.5f) * scale));
    idx[static_cast<std::size_t>(i)] = std::max<std::int64_t>(0, std::min(at, in - 1));
  }
  return idx;
}

Tensor resize_nearest(const Tensor& image, const detail::ImageLayout& l, ImageSize size) {
  const Tensor src = image.contiguous();
  Tensor out = Tensor::empty(l.shape(size.height, size.width), image.dtype());
  const std::vector<std::int64_t> iy = nearest_index(l.h, size.height);
  const std::vector<std::int64_t> ix = nearest_index(l.w, size.width);
  const std::size_t pixel = static_cast<std::size_t>(l.c) * image.element_size();
  const auto* s = static_cast<const std::uint8_t*>(src.raw_data());
  auto* d = static_cast<std::uint8_t*>(out.raw_data());
  for (std::int64_t n = 0; n < l.n; ++n) {
    const std::uint8_t* img = s + static_cast<std::size_t>(n * l.h * l.w) * pixel;
    for (std::int64_t y = 0; y < size.height; ++y) {
      for (std::int64_t x = 0; x < size.width; ++x, d += pixel) {
        std::memcpy(d, img + static_cast<std::size_t>(iy[y] * l.w + ix[x]) * pixel, pixel);
      }
    }
  }
  return out;
}

}  // namespace

ResizeMethod parse_resize_method(std::string_view name) {
  if (name == "nearest") return ResizeMethod::kNearest;
  if (name == "bilinear") return ResizeMethod::kBilinear;
  if (name == "area") return ResizeMethod::kArea;
  if (name == "bicubic") return ResizeMethod::kBicubic;
  SPOOL_THROW(InvalidArgument, "resize: unknown method ", spool::quoted(std::string(name)),
              " (expected nearest, bilinear, area or bicubic)");
}

Tensor resize(const Tensor& image, ImageSize size, ResizeMethod method, bool antialias) {
  const detail::ImageLayout l = detail::image_layout(image, "resize");
  SPOOL_CHECK(size.height > 0 && size.width > 0, InvalidArgument, "resize: the target size must be positive, got ",
              size.height, "x", size.width, " for an image of shape ", image.shape().to_string());
  SPOOL_CHECK(size.height <= std::numeric_limits<std::int32_t>::max() && size.width <= std::numeric_limits<std::int32_t>::max(),
              InvalidArgument, "resize: target size ", size.height, "x", size.width, " is too large");
  if (method == ResizeMethod::kNearest) return resize_nearest(image, l, size);

  const AxisWeights wy = weights_for(method, antialias, l.h, size.height);
  const AxisWeights wx = weights_for(method, antialias, l.w, size.width);
  const Tensor src = image.dtype() == DType::kU8 ? image.contiguous() : detail::as_f32(image);
  Tensor out = Tensor::empty(l.shape(size.height, size.width), DType::kF32);
  std::vector<float> tmp(static_cast<std::size_t>(l.h * size.width * l.c));
  const std::int64_t in_plane = l.h * l.w * l.c;
  const std::int64_t out_plane = size.height * size.width * l.c;
  float* dst = out.data<float>();
  for (std::int64_t n = 0; n < l.n; ++n) {
    if (src.dtype() == DType::kU8) {
      resize_one(src.data<std::uint8_t>() + n * in_plane, l.w, l.c, wy, wx, l.h, size.height, size.width,
                 tmp.data(), dst + n * out_plane);
    } else {
      resize_one(src.data<float>() + n * in_plane, l.w, l.c, wy, wx, l.h, size.height, size.width, tmp.data(),
                 dst + n * out_plane);
    }
  }
  return out;
}

MapFn resize_fn(ImageSize size, ResizeMethod method, bool antialias, ImageComponent which) {
  return image_map_fn([=](const Tensor& image) { return resize(image, size, method, antialias); }, std::move(which));
}

}  // namespace spool::data
