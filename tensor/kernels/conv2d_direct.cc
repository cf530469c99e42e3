// conv2d forward without im2col (AVX2 + FMA), for layers whose patch is short.
//
// N batch, H,W input spatial, C_in/C_out channels, KH,KW filter size, OH,OW output;
// a "tap" is one (ky, kx, ci) of the window: one input float per output pixel, one
// filter row of C_out floats.
//
// With C_in = 1 or 3 a patch is 9 or 27 floats: im2col then spends longer writing and
// re-reading the patches than the GEMM spends on them. This kernel reads the taps
// straight from the NHWC input: a 6-pixel × 16-channel register tile (twelve ymm
// accumulators, as sgemm's micro-kernel) sweeps the taps, each step broadcasting one
// input float per pixel and loading 16 filter floats. The taps valid for an output row
// are listed once per row; the vertical padding only removes whole filter rows, and
// the few pixels whose window crosses the left or right edge get a filtered list.
//
// Each output element is Σ over taps in (ky, kx, ci) order, started from the bias, by
// one thread: results do not depend on the thread count.
#include <algorithm>
#include <vector>

#include "spool/tensor/kernels/conv2d.h"
#include "spool/tensor/thread_pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPOOL_CONV_X86 1
#include <immintrin.h>
#endif

namespace spool::kernels {

#if SPOOL_CONV_X86

namespace {

#define SPOOL_CONV_AVX2 __attribute__((target("avx2,fma")))

constexpr int kPixels = 6;  // pixels per register tile
constexpr int kLanes = 8;   // floats per ymm register

// Input offsets (from the window's top-left pixel) and filter offsets of the taps of
// filter rows [ky0, ky1) and columns [kx0, kx1), kept while consecutive output rows
// and pixels need the same list.
struct Taps {
  std::vector<std::int64_t> x_off;
  std::vector<std::int64_t> w_off;
  std::int64_t ky0 = -1, ky1 = -1, kx0 = -1, kx1 = -1;
};

struct TileArgs {
  const float* x;            // the input
  std::int64_t base;         // index in x of the first pixel's window origin (may be < 0)
  std::int64_t pixel_step;   // floats between neighbouring pixels' windows: stride_w · C_in
  const Taps* taps;
  const float* w;            // filter, already offset to the first column
  const float* bias;         // null or offset to the first column
  float* y;                  // the first pixel's output, offset to the first column
  std::int64_t c_out;        // y's row stride
  std::int64_t groups = 1;   // tile(): how many runs of MR pixels
};

// `a.groups` runs of MR neighbouring pixels, one after the other along the row.
template <int MR, int NV>
SPOOL_CONV_AVX2 void tile(const TileArgs& a) {
  __m256 init[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) init[v] = a.bias ? _mm256_loadu_ps(a.bias + v * kLanes) : _mm256_setzero_ps();
  const std::int64_t count = static_cast<std::int64_t>(a.taps->x_off.size());
  const std::int64_t* x_off = a.taps->x_off.data();
  const std::int64_t* w_off = a.taps->w_off.data();
  const std::int64_t step = a.pixel_step;
  for (std::int64_t group = 0; group < a.groups; ++group) {
    // An index, not a pointer: the window origin may lie in the padding, before x.
    const std::int64_t origin = a.base + group * MR * step;
    float* y = a.y + group * MR * a.c_out;
    __m256 acc[MR][NV];
#pragma GCC unroll 6
    for (int j = 0; j < MR; ++j)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[j][v] = init[v];
    for (std::int64_t t = 0; t < count; ++t) {
      const float* xp = a.x + (origin + x_off[t]);
      const float* wp = a.w + w_off[t];
      __m256 wv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) wv[v] = _mm256_loadu_ps(wp + v * kLanes);
#pragma GCC unroll 6
      for (int j = 0; j < MR; ++j) {
        const __m256 xv = _mm256_broadcast_ss(xp + j * step);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[j][v] = _mm256_fmadd_ps(xv, wv[v], acc[j][v]);
      }
    }
#pragma GCC unroll 6
    for (int j = 0; j < MR; ++j)
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) _mm256_storeu_ps(y + j * a.c_out + v * kLanes, acc[j][v]);
  }
}

using TileFn = void (*)(const TileArgs&);

template <int NV>
TileFn tile_for(int mr) {
  static constexpr TileFn kTable[kPixels] = {tile<1, NV>, tile<2, NV>, tile<3, NV>,
                                             tile<4, NV>, tile<5, NV>, tile<6, NV>};
  return kTable[mr - 1];
}

// Runs `pixels` neighbouring pixels over every column of C_out: whole 6-pixel tiles,
// then one narrower tile for the rest.
void run_pixels(TileArgs a, std::int64_t pixels) {
  const std::int64_t full = pixels / kPixels;
  const int rest = static_cast<int>(pixels % kPixels);
  for (std::int64_t col = 0; col < a.c_out; col += 2 * kLanes) {
    const bool wide = a.c_out - col >= 2 * kLanes;
    TileArgs at = a;
    at.w = a.w + col;
    at.bias = a.bias ? a.bias + col : nullptr;
    at.y = a.y + col;
    if (full > 0) {
      at.groups = full;
      (wide ? tile_for<2>(kPixels) : tile_for<1>(kPixels))(at);
    }
    if (rest > 0) {
      at.groups = 1;
      at.base = a.base + full * kPixels * a.pixel_step;
      at.y = a.y + full * kPixels * a.c_out + col;
      (wide ? tile_for<2>(rest) : tile_for<1>(rest))(at);
    }
  }
}

// Taps of filter rows [ky0, ky1) and columns [kx0, kx1).
void list_taps(const Window2D& g, std::int64_t c_out, std::int64_t ky0, std::int64_t ky1, std::int64_t kx0,
               std::int64_t kx1, Taps& taps) {
  if (taps.ky0 == ky0 && taps.ky1 == ky1 && taps.kx0 == kx0 && taps.kx1 == kx1) return;
  taps.ky0 = ky0;
  taps.ky1 = ky1;
  taps.kx0 = kx0;
  taps.kx1 = kx1;
  taps.x_off.clear();
  taps.w_off.clear();
  for (std::int64_t ky = ky0; ky < ky1; ++ky)
    for (std::int64_t kx = kx0; kx < kx1; ++kx)
      for (std::int64_t ci = 0; ci < g.channels; ++ci) {
        taps.x_off.push_back((ky * g.in_w + kx) * g.channels + ci);
        taps.w_off.push_back(((ky * g.kernel_w + kx) * g.channels + ci) * c_out);
      }
}

void output_row(const Window2D& g, std::int64_t c_out, const float* x, const float* filter, const float* bias,
                float* y, std::int64_t n, std::int64_t oy, Taps& row_taps, Taps& edge_taps) {
  const std::int64_t iy0 = oy * g.stride_h - g.pad_top;
  const std::int64_t ky0 = std::max<std::int64_t>(0, -iy0);
  const std::int64_t ky1 = std::min(g.kernel_h, g.in_h - iy0);
  list_taps(g, c_out, ky0, ky1, 0, g.kernel_w, row_taps);
  // Pixels whose window lies inside the input horizontally: [ox_lo, ox_hi).
  const std::int64_t ox_lo = std::min(g.out_w, (g.pad_left + g.stride_w - 1) / g.stride_w);
  const std::int64_t ox_hi =
      std::max(ox_lo, std::min(g.out_w, g.in_w - g.kernel_w + g.pad_left >= 0
                                            ? (g.in_w - g.kernel_w + g.pad_left) / g.stride_w + 1
                                            : 0));
  TileArgs a{x, 0, g.stride_w * g.channels, &row_taps, filter, bias, nullptr, c_out};
  const std::int64_t row_base = (n * g.in_h + iy0) * g.in_w;
  float* y_row = y + (n * g.out_h + oy) * g.out_w * c_out;
  if (ox_hi > ox_lo) {
    a.base = (row_base + ox_lo * g.stride_w - g.pad_left) * g.channels;
    a.y = y_row + ox_lo * c_out;
    run_pixels(a, ox_hi - ox_lo);
  }
  for (std::int64_t ox = 0; ox < g.out_w; ++ox) {
    if (ox == ox_lo) ox = std::max(ox_hi, ox_lo);
    if (ox >= g.out_w) break;
    const std::int64_t ix0 = ox * g.stride_w - g.pad_left;
    list_taps(g, c_out, ky0, ky1, std::max<std::int64_t>(0, -ix0), std::min(g.kernel_w, g.in_w - ix0), edge_taps);
    TileArgs e = a;
    e.taps = &edge_taps;
    e.base = (row_base + ix0) * g.channels;
    e.y = y_row + ox * c_out;
    run_pixels(e, 1);
  }
}

}  // namespace

bool conv2d_direct_supported(const Window2D& g, std::int64_t c_out) {
  static const bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu && c_out % kLanes == 0 && c_out > 0 && g.patch() <= kConv2dDirectMaxPatch;
}

void conv2d_direct(const Window2D& g, std::int64_t c_out, const float* x, const float* filter, const float* bias,
                   Activation activation, float* y) {
  const std::int64_t rows = g.batch * g.out_h;
  // About 16 K multiply-adds per output row at the least before a thread is woken.
  const std::int64_t grain = std::max<std::int64_t>(1, (1 << 16) / std::max<std::int64_t>(g.out_w * g.patch() * c_out, 1));
  parallel_for(rows, grain, [&](std::int64_t r0, std::int64_t r1) {
    // Fresh per call: a list depends on the geometry as well as on the window part.
    Taps row_taps, edge_taps;
    for (std::int64_t r = r0; r < r1; ++r) {
      output_row(g, c_out, x, filter, bias, y, r / g.out_h, r % g.out_h, row_taps, edge_taps);
      if (activation != Activation::kNone) {
        float* y_row = y + r * g.out_w * c_out;
        bias_activation_rows(y_row, nullptr, activation, g.out_w, c_out, y_row);
      }
    }
  });
}

#else  // not x86-64 with GCC/Clang: the im2col path serves every shape.

bool conv2d_direct_supported(const Window2D&, std::int64_t) { return false; }

void conv2d_direct(const Window2D&, std::int64_t, const float*, const float*, const float*, Activation, float*) {
  SPOOL_THROW(Unimplemented, "conv2d_direct: needs an x86-64 CPU with AVX2 and FMA");
}

#endif

}  // namespace spool::kernels
