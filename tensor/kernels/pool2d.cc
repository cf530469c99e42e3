// N batch, H,W input spatial, C channels, KH,KW window, SH,SW stride, OH,OW output.
// Channels are innermost in NHWC, so each kernel runs its inner loop over C with the
// window position fixed: contiguous loads, and the compiler vectorises it.
#include "spool/tensor/kernels/pool2d.h"

#include <algorithm>
#include <cstring>

#include "spool/tensor/kernels/simd_block.h"
#include "spool/tensor/thread_pool.h"

namespace spool {

namespace kernels {

namespace {

// The input rows/columns under output pixel (oy, ox), clipped to the input.
struct Span2D {
  std::int64_t y0, y1, x0, x1;
  std::int64_t count() const { return (y1 - y0) * (x1 - x0); }
};

Span2D window_at(const Window2D& g, std::int64_t oy, std::int64_t ox) {
  const std::int64_t iy = oy * g.stride_h - g.pad_top;
  const std::int64_t ix = ox * g.stride_w - g.pad_left;
  Span2D s{std::max<std::int64_t>(iy, 0), std::min(iy + g.kernel_h, g.in_h), std::max<std::int64_t>(ix, 0),
           std::min(ix + g.kernel_w, g.in_w)};
  if (s.y1 < s.y0) s.y1 = s.y0;
  if (s.x1 < s.x0) s.x1 = s.x0;
  return s;
}

// The channel loops run blocks of kBlock channels as kVectors vector values (simd_block.h:
// GCC 12 left these loops scalar at -O3 and half of them at -O2), then the same
// expression per remaining channel.
constexpr std::int64_t kVectors = 4;
constexpr std::int64_t kBlock = kVectors * simd::kWidth;

// The maximum of one window per channel into best[0, C), with strict '>' from the
// window's first element (a NaN there stays; later NaNs never win).
void window_max(const Window2D& g, const Span2D& s, const float* image, std::int64_t first, float* best) {
  const std::int64_t c = g.channels;
  std::int64_t k0 = 0;
  for (; k0 + kBlock <= c; k0 += kBlock) {
    simd::F32x4 b[kVectors];
    for (std::int64_t j = 0; j < kVectors; ++j) b[j] = simd::load(image + first + k0 + j * simd::kWidth);
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix) {
        const float* p = image + (iy * g.in_w + ix) * c + k0;
        for (std::int64_t j = 0; j < kVectors; ++j) {
          const simd::F32x4 v = simd::load(p + j * simd::kWidth);
          b[j] = simd::take_where(v > b[j], v, b[j]);
        }
      }
    }
    for (std::int64_t j = 0; j < kVectors; ++j) simd::store(best + k0 + j * simd::kWidth, b[j]);
  }
  for (std::int64_t k = k0; k < c; ++k) {
    float b = image[first + k];
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix) {
        const float v = image[(iy * g.in_w + ix) * c + k];
        b = v > b ? v : b;
      }
    }
    best[k] = b;
  }
}

// The argmax of one window, given its maximum: the first position in scan order whose
// value equals the maximum, which is where the strict-'>' scan stopped (ties keep the
// first; -0 and +0 compare equal, and the scan cannot pass from one to the other). A NaN
// first element stays the maximum and equals nothing, so the index stays `first`.
// Found by scanning the window backwards so the earliest match is written last; the
// blocks hold offsets from `first` in 32 bits (one element width with the floats, so
// the select vectorises), which needs the window to span less than 2^31 elements.
void window_argmax(const Window2D& g, const Span2D& s, const float* image, const float* best, std::int64_t first,
                   std::int64_t* arg) {
  const std::int64_t c = g.channels;
  const std::int64_t span = ((s.y1 - 1) * g.in_w + s.x1) * c - first;
  std::int64_t k0 = 0;
  for (; span < (std::int64_t{1} << 31) && k0 + kBlock <= c; k0 += kBlock) {
    simd::F32x4 b[kVectors];
    simd::I32x4 at[kVectors];  // offsets from `first`
    for (std::int64_t j = 0; j < kVectors; ++j) {
      b[j] = simd::load(best + k0 + j * simd::kWidth);
      at[j] = simd::I32x4{};
    }
    for (std::int64_t iy = s.y1 - 1; iy >= s.y0; --iy) {
      for (std::int64_t ix = s.x1 - 1; ix >= s.x0; --ix) {
        const std::int64_t base = (iy * g.in_w + ix) * c;
        const simd::I32x4 offset = simd::I32x4{} + static_cast<std::int32_t>(base - first);
        for (std::int64_t j = 0; j < kVectors; ++j) {
          const simd::F32x4 v = simd::load(image + base + k0 + j * simd::kWidth);
          at[j] = simd::take_where(v == b[j], offset, at[j]);
        }
      }
    }
    for (std::int64_t k = 0; k < kBlock; ++k) arg[k0 + k] = first + at[k / simd::kWidth][k % simd::kWidth] + k0 + k;
  }
  for (std::int64_t k = k0; k < c; ++k) {
    std::int64_t found = first + k;
    for (std::int64_t iy = s.y1 - 1; iy >= s.y0; --iy) {
      for (std::int64_t ix = s.x1 - 1; ix >= s.x0; --ix) {
        const std::int64_t base = (iy * g.in_w + ix) * c;
        if (image[base + k] == best[k]) found = base + k;
      }
    }
    arg[k] = found;
  }
}

// Output rows (n, oy) in parallel for the forward passes; no two write the same y.
template <typename PixelFn>
void for_output_pixels(const Window2D& g, PixelFn&& fn) {
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 12) / std::max<std::int64_t>(g.out_w * g.channels, 1));
  parallel_for(g.batch * g.out_h, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      const std::int64_t n = row / g.out_h;
      const std::int64_t oy = row % g.out_h;
      for (std::int64_t ox = 0; ox < g.out_w; ++ox) fn(n, oy, ox, (row * g.out_w + ox) * g.channels);
    }
  });
}

// Whole images in parallel for the backward passes: windows overlap when the stride is
// below the window, so two output pixels of one image may add to the same dx element.
template <typename ImageFn>
void for_images(const Window2D& g, float* dx, ImageFn&& fn) {
  const std::int64_t image = g.in_h * g.in_w * g.channels;
  parallel_for(g.batch, 1, [&](std::int64_t begin, std::int64_t end) {
    std::fill(dx + begin * image, dx + end * image, 0.0f);
    for (std::int64_t n = begin; n < end; ++n) fn(n, dx + n * image);
  });
}

}  // namespace

void max_pool2d(const Window2D& g, const float* x, float* y, std::int64_t* argmax) {
  const std::int64_t c = g.channels;
  for_output_pixels(g, [&](std::int64_t n, std::int64_t oy, std::int64_t ox, std::int64_t at) {
    const Span2D s = window_at(g, oy, ox);
    const float* image = x + n * g.in_h * g.in_w * c;
    float* best = y + at;
    if (s.count() == 0) {
      std::fill(best, best + c, 0.0f);
      if (argmax) std::fill(argmax + at, argmax + at + c, std::int64_t{-1});
      return;
    }
    // Strict '>' keeps the first maximum in scan order.
    const std::int64_t first = (s.y0 * g.in_w + s.x0) * c;
    window_max(g, s, image, first, best);
    if (argmax) window_argmax(g, s, image, best, first, argmax + at);
  });
}

void max_pool2d_backward(const Window2D& g, const float* dy, const std::int64_t* argmax, float* dx) {
  const std::int64_t per_image = g.out_h * g.out_w * g.channels;
  const std::int64_t image_size = g.in_h * g.in_w * g.channels;
  for_images(g, dx, [&](std::int64_t n, float* dx_image) {
    const float* d = dy + n * per_image;
    const std::int64_t* arg = argmax + n * per_image;
    for (std::int64_t i = 0; i < per_image; ++i) {
      if (arg[i] < 0) continue;  // an empty window (see max_pool2d)
      SPOOL_CHECK(arg[i] < image_size, InvalidArgument, "max_pool2d_backward: argmax ", arg[i], " of image ", n,
                  " element ", i, " is outside the image of ", image_size, " elements");
      dx_image[arg[i]] += d[i];
    }
  });
}

bool pool_windows_disjoint(const Window2D& g) {
  return g.stride_h >= g.kernel_h && g.stride_w >= g.kernel_w && g.kernel_h * g.kernel_w <= kMaxWindowPositions;
}

namespace {

void require_disjoint(const Window2D& g, const char* op) {
  SPOOL_CHECK(pool_windows_disjoint(g), InvalidArgument, op, ": windows of ", g.kernel_h, "x", g.kernel_w,
              " with strides ", g.stride_h, "x", g.stride_w,
              " overlap or exceed 255 positions; use the image-index argmax (max_pool2d_with_argmax)");
}

// One window's maximum and the position (scan order within the clipped window) of its
// first maximum: strict '>' from the first element, as window_max, so the position is
// the one window_argmax finds (ties and -0/+0 keep the first; a NaN first element stays).
void window_max_position(const Window2D& g, const Span2D& s, const float* image, float* best,
                         std::uint8_t* position) {
  const std::int64_t c = g.channels;
  const std::int64_t first = (s.y0 * g.in_w + s.x0) * c;
  std::int64_t k0 = 0;
  for (; k0 + kBlock <= c; k0 += kBlock) {
    simd::F32x4 b[kVectors];
    simd::I32x4 at[kVectors];
    for (std::int64_t j = 0; j < kVectors; ++j) {
      b[j] = simd::load(image + first + k0 + j * simd::kWidth);
      at[j] = simd::I32x4{};
    }
    std::int32_t p = 0;
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix, ++p) {
        const float* v = image + (iy * g.in_w + ix) * c + k0;
        const simd::I32x4 here = simd::I32x4{} + p;
        for (std::int64_t j = 0; j < kVectors; ++j) {
          const simd::F32x4 x = simd::load(v + j * simd::kWidth);
          const simd::I32x4 greater = x > b[j];
          b[j] = simd::take_where(greater, x, b[j]);
          at[j] = simd::take_where(greater, here, at[j]);
        }
      }
    }
    for (std::int64_t j = 0; j < kVectors; ++j) simd::store(best + k0 + j * simd::kWidth, b[j]);
    for (std::int64_t k = 0; k < kBlock; ++k) {
      position[k0 + k] = static_cast<std::uint8_t>(at[k / simd::kWidth][k % simd::kWidth]);
    }
  }
  for (std::int64_t k = k0; k < c; ++k) {
    float b = image[first + k];
    std::int32_t at = 0, p = 0;
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix, ++p) {
        const float v = image[(iy * g.in_w + ix) * c + k];
        if (v > b) {
          b = v;
          at = p;
        }
      }
    }
    best[k] = b;
    position[k] = static_cast<std::uint8_t>(at);
  }
}

// Writes one window's dx: dy at each channel's recorded position, 0 elsewhere.
void route_window(const Window2D& g, const Span2D& s, const float* d, const std::uint8_t* position,
                  float* dx_image) {
  const std::int64_t c = g.channels;
  std::int64_t k0 = 0;
  for (; k0 + kBlock <= c; k0 += kBlock) {
    simd::F32x4 grad[kVectors];
    simd::I32x4 at[kVectors];
    for (std::int64_t j = 0; j < kVectors; ++j) {
      grad[j] = simd::load(d + k0 + j * simd::kWidth);
      const std::uint8_t* q = position + k0 + j * simd::kWidth;
      at[j] = simd::I32x4{q[0], q[1], q[2], q[3]};
    }
    std::int32_t p = 0;
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix, ++p) {
        float* out = dx_image + (iy * g.in_w + ix) * c + k0;
        const simd::I32x4 here = simd::I32x4{} + p;
        for (std::int64_t j = 0; j < kVectors; ++j) {
          simd::store(out + j * simd::kWidth, simd::take_where(at[j] == here, grad[j], simd::F32x4{}));
        }
      }
    }
  }
  for (std::int64_t k = k0; k < c; ++k) {
    std::int32_t p = 0;
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix, ++p) {
        dx_image[(iy * g.in_w + ix) * c + k] = position[k] == p ? d[k] : 0.0f;
      }
    }
  }
}

}  // namespace

void max_pool2d_window_argmax(const Window2D& g, const float* x, float* y, std::uint8_t* position) {
  const std::int64_t c = g.channels;
  for_output_pixels(g, [&](std::int64_t n, std::int64_t oy, std::int64_t ox, std::int64_t at) {
    const Span2D s = window_at(g, oy, ox);
    if (s.count() == 0) {  // an empty window (only with padding): 0, and no gradient
      std::fill(y + at, y + at + c, 0.0f);
      std::fill(position + at, position + at + c, kNoPosition);
      return;
    }
    window_max_position(g, s, x + n * g.in_h * g.in_w * c, y + at, position + at);
  });
}

void max_pool2d_backward_window_argmax(const Window2D& g, const float* dy, const std::uint8_t* position,
                                       float* dx) {
  require_disjoint(g, "max_pool2d_backward");
  const std::int64_t c = g.channels;
  const std::int64_t image = g.in_h * g.in_w * c;
  const std::int64_t per_image = g.out_h * g.out_w * c;
  // Windows that tile the image exactly write every dx element; otherwise zero it first.
  const bool tiled = g.pad_top == 0 && g.pad_left == 0 && g.stride_h == g.kernel_h && g.stride_w == g.kernel_w &&
                     g.out_h * g.kernel_h == g.in_h && g.out_w * g.kernel_w == g.in_w;
  parallel_for(g.batch, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t n = begin; n < end; ++n) {
      float* dx_image = dx + n * image;
      if (!tiled) std::fill(dx_image, dx_image + image, 0.0f);
      for (std::int64_t oy = 0; oy < g.out_h; ++oy) {
        for (std::int64_t ox = 0; ox < g.out_w; ++ox) {
          const Span2D s = window_at(g, oy, ox);
          if (s.count() == 0) continue;
          const std::int64_t at = n * per_image + (oy * g.out_w + ox) * c;
          route_window(g, s, dy + at, position + at, dx_image);
        }
      }
    }
  });
}

void avg_pool2d(const Window2D& g, const float* x, float* y) {
  const std::int64_t c = g.channels;
  for_output_pixels(g, [&](std::int64_t n, std::int64_t oy, std::int64_t ox, std::int64_t at) {
    const Span2D s = window_at(g, oy, ox);
    const float* image = x + n * g.in_h * g.in_w * c;
    float* out = y + at;
    std::fill(out, out + c, 0.0f);
    for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
      for (std::int64_t ix = s.x0; ix < s.x1; ++ix) {
        const float* p = image + (iy * g.in_w + ix) * c;
        for (std::int64_t k = 0; k < c; ++k) out[k] += p[k];
      }
    }
    const float scale = s.count() ? 1.0f / static_cast<float>(s.count()) : 0.0f;
    for (std::int64_t k = 0; k < c; ++k) out[k] *= scale;
  });
}

void avg_pool2d_backward(const Window2D& g, const float* dy, float* dx) {
  const std::int64_t c = g.channels;
  for_images(g, dx, [&](std::int64_t n, float* dx_image) {
    for (std::int64_t oy = 0; oy < g.out_h; ++oy) {
      for (std::int64_t ox = 0; ox < g.out_w; ++ox) {
        const Span2D s = window_at(g, oy, ox);
        if (s.count() == 0) continue;
        const float scale = 1.0f / static_cast<float>(s.count());
        const float* d = dy + ((n * g.out_h + oy) * g.out_w + ox) * c;
        for (std::int64_t iy = s.y0; iy < s.y1; ++iy) {
          for (std::int64_t ix = s.x0; ix < s.x1; ++ix) {
            float* p = dx_image + (iy * g.in_w + ix) * c;
            for (std::int64_t k = 0; k < c; ++k) p[k] += d[k] * scale;
          }
        }
      }
    }
  });
}


namespace {

Window2D pool_window(const Shape& input, const Pool2DOptions& o, const char* op) {
  return window2d(input, o.window_h(), o.window_w(), o.stride_h(), o.stride_w(), o.padding(), op);
}

Tensor checked_input(const Tensor& x, const char* op) {
  SPOOL_CHECK(x.defined() && x.dtype() == DType::kF32, InvalidArgument, op, ": input must be f32, got ",
              x.defined() ? dtype_name(x.dtype()) : "undefined");
  return x.contiguous();
}

// The gradient shape a backward pass expects, checked against what it was given.
void check_grad_shape(const Tensor& dy, const Window2D& g, const Shape& input_shape, const char* op) {
  SPOOL_CHECK(dy.defined() && dy.dtype() == DType::kF32, InvalidArgument, op, ": gradient must be f32");
  const Shape want{g.batch, g.out_h, g.out_w, g.channels};
  SPOOL_CHECK(dy.shape() == want, InvalidArgument, op, ": gradient ", dy.shape().to_string(), " for input ",
              input_shape.to_string(), " should be ", want.to_string());
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options) {
  const Window2D g = pool_window(x.shape(), options, "max_pool2d");
  const Tensor xc = checked_input(x, "max_pool2d");
  Tensor y = Tensor::empty(Shape{g.batch, g.out_h, g.out_w, g.channels}, DType::kF32);
  if (y.numel() > 0) kernels::max_pool2d(g, xc.data<float>(), y.data<float>(), nullptr);
  return y;
}

MaxPool2DResult max_pool2d_with_argmax(const Tensor& x, const Pool2DOptions& options) {
  const Window2D g = pool_window(x.shape(), options, "max_pool2d");
  const Tensor xc = checked_input(x, "max_pool2d");
  const Shape out{g.batch, g.out_h, g.out_w, g.channels};
  MaxPool2DResult r{Tensor::empty(out, DType::kF32), Tensor::empty(out, DType::kI64)};
  if (r.output.numel() > 0) {
    kernels::max_pool2d(g, xc.data<float>(), r.output.data<float>(), r.argmax.data<std::int64_t>());
  }
  return r;
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape) {
  SPOOL_CHECK(input_shape.rank() == 4 && dy.defined() && dy.rank() == 4, InvalidArgument,
              "max_pool2d_backward: input ", input_shape.to_string(), " and gradient ",
              dy.defined() ? dy.shape().to_string() : "undefined", " must be 4-D NHWC");
  Window2D g;
  g.batch = input_shape[0];
  g.in_h = input_shape[1];
  g.in_w = input_shape[2];
  g.channels = input_shape[3];
  g.out_h = dy.dim(1);
  g.out_w = dy.dim(2);
  check_grad_shape(dy, g, input_shape, "max_pool2d_backward");
  SPOOL_CHECK(argmax.defined() && argmax.dtype() == DType::kI64 && argmax.shape() == dy.shape(), InvalidArgument,
              "max_pool2d_backward: argmax must be i64 shaped like the gradient ", dy.shape().to_string(),
              ", got ", argmax.defined() ? dtype_name(argmax.dtype()) : "undefined", " ",
              argmax.defined() ? argmax.shape().to_string() : "");
  const Tensor dyc = dy.contiguous();
  const Tensor ac = argmax.contiguous();
  Tensor dx = Tensor::empty(input_shape, DType::kF32);  // for_images zeroes each image it fills
  if (dx.numel() > 0) kernels::max_pool2d_backward(g, dyc.data<float>(), ac.data<std::int64_t>(), dx.data<float>());
  return dx;
}

MaxPool2DResult max_pool2d_with_window_argmax(const Tensor& x, const Pool2DOptions& options) {
  const Window2D g = pool_window(x.shape(), options, "max_pool2d");
  kernels::require_disjoint(g, "max_pool2d");
  const Tensor xc = checked_input(x, "max_pool2d");
  const Shape out{g.batch, g.out_h, g.out_w, g.channels};
  MaxPool2DResult r{Tensor::empty(out, DType::kF32), Tensor::empty(out, DType::kU8)};
  if (r.output.numel() > 0) {
    kernels::max_pool2d_window_argmax(g, xc.data<float>(), r.output.data<float>(), r.argmax.data<std::uint8_t>());
  }
  return r;
}

Tensor max_pool2d_backward_window_argmax(const Tensor& dy, const Tensor& position, const Shape& input_shape,
                                         const Pool2DOptions& options) {
  const Window2D g = pool_window(input_shape, options, "max_pool2d_backward");
  check_grad_shape(dy, g, input_shape, "max_pool2d_backward");
  SPOOL_CHECK(position.defined() && position.dtype() == DType::kU8 && position.shape() == dy.shape(),
              InvalidArgument, "max_pool2d_backward: window positions must be u8 shaped like the gradient ",
              dy.shape().to_string(), ", got ", position.defined() ? dtype_name(position.dtype()) : "undefined", " ",
              position.defined() ? position.shape().to_string() : "");
  const Tensor dyc = dy.contiguous();
  const Tensor pc = position.contiguous();
  Tensor dx = Tensor::empty(input_shape, DType::kF32);  // the kernel writes or zeroes every element
  if (dx.numel() > 0) {
    kernels::max_pool2d_backward_window_argmax(g, dyc.data<float>(), pc.data<std::uint8_t>(), dx.data<float>());
  }
  return dx;
}

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options) {
  const Window2D g = pool_window(x.shape(), options, "avg_pool2d");
  const Tensor xc = checked_input(x, "avg_pool2d");
  Tensor y = Tensor::empty(Shape{g.batch, g.out_h, g.out_w, g.channels}, DType::kF32);
  if (y.numel() > 0) kernels::avg_pool2d(g, xc.data<float>(), y.data<float>());
  return y;
}

Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, const Pool2DOptions& options) {
  const Window2D g = pool_window(input_shape, options, "avg_pool2d_backward");
  check_grad_shape(dy, g, input_shape, "avg_pool2d_backward");
  const Tensor dyc = dy.contiguous();
  Tensor dx = Tensor::empty(input_shape, DType::kF32);  // for_images zeroes each image it fills
  if (dx.numel() > 0) kernels::avg_pool2d_backward(g, dyc.data<float>(), dx.data<float>());
  return dx;
}

}  // namespace kernels
}  // namespace spool
