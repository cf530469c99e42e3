// N batch, H,W input spatial, C channels, KH,KW window, SH,SW stride, OH,OW output.
//
// In NHWC the KW·C values one window row covers are contiguous in memory, so a patch
// row is a single copy clipped at the left/right border: this is what makes im2col
// cheap for C = 1 or 3, where copying per pixel would cost a call per float.
#include "spool/tensor/kernels/im2col.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "spool/tensor/error.h"

namespace spool {

std::string padding_name(Padding padding) { return padding == Padding::kSame ? "same" : "valid"; }

WindowAxis window_axis(std::int64_t in, std::int64_t kernel, std::int64_t stride, Padding padding) {
  WindowAxis a;
  if (padding == Padding::kSame) {
    a.out = (in + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>((a.out - 1) * stride + kernel - in, 0);
    a.pad_before = total / 2;
  } else {
    a.out = in >= kernel ? (in - kernel) / stride + 1 : 0;
  }
  return a;
}

Window2D window2d(const Shape& input, std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t stride_h,
                  std::int64_t stride_w, Padding padding, const char* op) {
  SPOOL_CHECK(input.rank() == 4, InvalidArgument, op, ": input ", input.to_string(),
              " must be 4-D [batch, height, width, channels]");
  SPOOL_CHECK(kernel_h >= 1 && kernel_w >= 1, InvalidArgument, op, ": window ", kernel_h, "x", kernel_w,
              " must be at least 1x1");
  SPOOL_CHECK(stride_h >= 1 && stride_w >= 1, InvalidArgument, op, ": stride ", stride_h, "x", stride_w,
              " must be at least 1x1");
  Window2D g;
  g.batch = input[0];
  g.in_h = input[1];
  g.in_w = input[2];
  g.channels = input[3];
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  const WindowAxis ah = window_axis(g.in_h, kernel_h, stride_h, padding);
  const WindowAxis aw = window_axis(g.in_w, kernel_w, stride_w, padding);
  SPOOL_CHECK(padding == Padding::kSame || (g.in_h >= kernel_h && g.in_w >= kernel_w), InvalidArgument, op,
              ": window ", kernel_h, "x", kernel_w, " does not fit in input ", input.to_string(),
              " with 'valid' padding");
  g.out_h = ah.out;
  g.out_w = aw.out;
  g.pad_top = ah.pad_before;
  g.pad_left = aw.pad_before;
  return g;
}

namespace kernels {

namespace {

// Calls fn(row_offset, image, in_y0, in_x0) for each row in [row_begin, row_end), with
// the window's top-left input pixel (possibly negative, inside the padding).
template <typename Fn>
void for_each_row(const Window2D& g, std::int64_t row_begin, std::int64_t row_end, Fn&& fn) {
  const std::int64_t per_image = g.out_pixels();
  std::int64_t n = row_begin / per_image;
  std::int64_t oy = row_begin % per_image / g.out_w;
  std::int64_t ox = row_begin % g.out_w;
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    fn(r - row_begin, n, oy * g.stride_h - g.pad_top, ox * g.stride_w - g.pad_left);
    if (++ox == g.out_w) {
      ox = 0;
      if (++oy == g.out_h) {
        oy = 0;
        ++n;
      }
    }
  }
}

// dst[0, n) = src / += src. GCC 12 at -O2 vectorises only loops of known trip count
// that need no run-time alias check (see elementwise_loops.h): blocks of 16 through a
// local array, then a scalar tail; a sum is the same in either.
constexpr std::int64_t kBlock = 16;

inline void copy_floats(float* dst, const float* src, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float v[kBlock];
    for (std::int64_t k = 0; k < kBlock; ++k) v[k] = src[i + k];
    for (std::int64_t k = 0; k < kBlock; ++k) dst[i + k] = v[k];
  }
  for (; i < n; ++i) dst[i] = src[i];
}

inline void add_floats(float* dst, const float* src, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float v[kBlock];
    for (std::int64_t k = 0; k < kBlock; ++k) v[k] = dst[i + k] + src[i + k];
    for (std::int64_t k = 0; k < kBlock; ++k) dst[i + k] = v[k];
  }
  for (; i < n; ++i) dst[i] += src[i];
}

}  // namespace

void im2col(const Window2D& g, const float* x, std::int64_t row_begin, std::int64_t row_end, float* cols) {
  const std::int64_t c = g.channels;
  const std::int64_t span = g.kernel_w * c;  // floats in one window row
  const std::int64_t row_stride = g.in_w * c;
  for_each_row(g, row_begin, row_end, [&](std::int64_t r, std::int64_t n, std::int64_t iy0, std::int64_t ix0) {
    float* out = cols + r * g.patch();
    if (iy0 >= 0 && ix0 >= 0 && iy0 + g.kernel_h <= g.in_h && ix0 + g.kernel_w <= g.in_w) {
      // The common interior window: spans of 3 to a few hundred floats, where an inline
      // loop beats a memcpy call and two empty fills per span.
      const float* src = x + ((n * g.in_h + iy0) * g.in_w + ix0) * c;
      for (std::int64_t ky = 0; ky < g.kernel_h; ++ky, out += span, src += row_stride) {
        copy_floats(out, src, span);
      }
      return;
    }
    // Columns of the window inside the input: [kx_lo, kx_hi).
    const std::int64_t kx_lo = std::max<std::int64_t>(0, -ix0);
    const std::int64_t kx_hi = std::min<std::int64_t>(g.kernel_w, g.in_w - ix0);
    for (std::int64_t ky = 0; ky < g.kernel_h; ++ky, out += span) {
      const std::int64_t iy = iy0 + ky;
      if (iy < 0 || iy >= g.in_h || kx_lo >= kx_hi) {
        std::fill(out, out + span, 0.0f);
        continue;
      }
      const float* src = x + ((n * g.in_h + iy) * g.in_w + ix0 + kx_lo) * c;
      std::fill(out, out + kx_lo * c, 0.0f);
      std::memcpy(out + kx_lo * c, src, static_cast<std::size_t>((kx_hi - kx_lo) * c) * sizeof(float));
      std::fill(out + kx_hi * c, out + span, 0.0f);
    }
  });
}

void col2im_add(const Window2D& g, const float* dcols, std::int64_t row_begin, std::int64_t row_end, float* dx) {
  const std::int64_t c = g.channels;
  const std::int64_t span = g.kernel_w * c;
  const std::int64_t row_stride = g.in_w * c;
  for_each_row(g, row_begin, row_end, [&](std::int64_t r, std::int64_t n, std::int64_t iy0, std::int64_t ix0) {
    const float* in = dcols + r * g.patch();
    if (iy0 >= 0 && ix0 >= 0 && iy0 + g.kernel_h <= g.in_h && ix0 + g.kernel_w <= g.in_w) {
      float* dst = dx + ((n * g.in_h + iy0) * g.in_w + ix0) * c;
      for (std::int64_t ky = 0; ky < g.kernel_h; ++ky, in += span, dst += row_stride) {
        add_floats(dst, in, span);
      }
      return;
    }
    const std::int64_t kx_lo = std::max<std::int64_t>(0, -ix0);
    const std::int64_t kx_hi = std::min<std::int64_t>(g.kernel_w, g.in_w - ix0);
    for (std::int64_t ky = 0; ky < g.kernel_h; ++ky, in += span) {
      const std::int64_t iy = iy0 + ky;
      if (iy < 0 || iy >= g.in_h || kx_lo >= kx_hi) continue;
      float* dst = dx + ((n * g.in_h + iy) * g.in_w + ix0 + kx_lo) * c;
      const float* src = in + kx_lo * c;
      add_floats(dst, src, (kx_hi - kx_lo) * c);
    }
  });
}

void col2im_transposed_add(const Window2D& g, const float* dcols_t, std::int64_t ld, std::int64_t row_begin,
                           std::int64_t row_end, float* dx) {
  const std::int64_t c = g.channels;
  const std::int64_t step = g.stride_w * c;  // between the targets of neighbouring pixels
  const std::int64_t n = row_begin / g.out_pixels();
  // One output row segment [ox0, ox1) of image row oy at a time.
  for (std::int64_t r = row_begin; r < row_end;) {
    const std::int64_t oy = r % g.out_pixels() / g.out_w;
    const std::int64_t ox0 = r % g.out_w;
    const std::int64_t ox1 = std::min(g.out_w, ox0 + (row_end - r));
    const std::int64_t iy0 = oy * g.stride_h - g.pad_top;
    for (std::int64_t ky = std::max<std::int64_t>(0, -iy0); ky < std::min(g.kernel_h, g.in_h - iy0); ++ky) {
      float* dx_row = dx + (n * g.in_h + iy0 + ky) * g.in_w * c;
      for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
        // Pixels whose column ix = ox·SW − pad_left + kx lies inside: [lo, hi).
        const std::int64_t shift = kx - g.pad_left;
        const std::int64_t lo = std::max(ox0, shift >= 0 ? 0 : (-shift + g.stride_w - 1) / g.stride_w);
        const std::int64_t hi = std::min(ox1, g.in_w - shift > 0 ? (g.in_w - shift - 1) / g.stride_w + 1 : 0);
        if (lo >= hi) continue;
        for (std::int64_t ci = 0; ci < c; ++ci) {
          const float* src = dcols_t + ((ky * g.kernel_w + kx) * c + ci) * ld + (r - row_begin) + (lo - ox0);
          float* dst = dx_row + (lo * g.stride_w + shift) * c + ci;
          const std::int64_t count = hi - lo;
          if (step == 1) {
            for (std::int64_t i = 0; i < count; ++i) dst[i] += src[i];
          } else {
            for (std::int64_t i = 0; i < count; ++i) dst[i * step] += src[i];
          }
        }
      }
    }
    r += ox1 - ox0;
  }
}

std::int64_t im2col_block_rows(const Window2D& g) {
  constexpr std::int64_t kBlockFloats = 1 << 15;
  return std::clamp<std::int64_t>(kBlockFloats / std::max<std::int64_t>(g.patch(), 1), 16, 4096);
}

float* im2col_scratch(std::int64_t floats) {
  thread_local std::vector<float> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < floats) buffer.resize(static_cast<std::size_t>(floats));
  return buffer.data();
}

}  // namespace kernels
}  // namespace spool
