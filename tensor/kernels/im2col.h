// Sliding-window geometry (TensorFlow's `valid` / `same` padding) shared by conv2d and
// the pooling kernels, and im2col / col2im over NHWC activations.
//
//   Window2D g = window2d(Shape{32, 28, 28, 3}, /*kernel_h=*/3, /*kernel_w=*/3,
//                         /*stride_h=*/2, /*stride_w=*/2, Padding::kSame);
//   // g.out_h == 14, g.pad_top == 0: TF puts the odd padding element after.
//   std::vector<float> cols(rows * g.patch());
//   kernels::im2col(g, x, /*row_begin=*/0, rows, cols.data());
//
// Legend: N batch, H,W input spatial, C channels, KH,KW window, SH,SW stride,
// OH,OW output spatial. A "row" is one output pixel (n, oy, ox), numbered n·OH·OW +
// oy·OW + ox; its patch is the KH·KW·C input values under the window in (ky, kx, c)
// order, which is also the order of the leading axes of an HWIO filter, so
// im2col(X) · W[KH·KW·C, C_out] is the convolution.
//
// Thread-safety: pure functions; concurrent calls must write disjoint outputs (col2im
// accumulates into dx, so rows of one image must not be split across threads).
#pragma once

#include <cstdint>
#include <string>

#include "spool/tensor/shape.h"

namespace spool {

// TensorFlow's padding rules: kValid uses only whole windows inside the input
// (out = ceil((in − K + 1) / stride)); kSame gives out = ceil(in / stride) and pads
// max((out − 1)·stride + K − in, 0) in total, the odd element after.
enum class Padding { kValid, kSame };

std::string padding_name(Padding padding);

// Where the windows of one NHWC input lie. Every field is an element count.
struct Window2D {
  std::int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  std::int64_t kernel_h = 0, kernel_w = 0, stride_h = 1, stride_w = 1;
  std::int64_t out_h = 0, out_w = 0, pad_top = 0, pad_left = 0;

  std::int64_t patch() const { return kernel_h * kernel_w * channels; }
  std::int64_t out_pixels() const { return out_h * out_w; }
  std::int64_t rows() const { return batch * out_h * out_w; }
  // True when im2col would copy X unchanged (1×1, stride 1): conv is then one GEMM.
  bool is_pointwise() const {
    return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0;
  }
};

// `input` is [N, H, W, C]. Throws InvalidArgument for a non-positive window or stride,
// or a window larger than a `valid`-padded input; `op` prefixes the messages.
Window2D window2d(const Shape& input, std::int64_t kernel_h, std::int64_t kernel_w, std::int64_t stride_h,
                  std::int64_t stride_w, Padding padding, const char* op);

// The output extent and leading pad of one spatial axis.
struct WindowAxis {
  std::int64_t out = 0;
  std::int64_t pad_before = 0;
};
WindowAxis window_axis(std::int64_t in, std::int64_t kernel, std::int64_t stride, Padding padding);

namespace kernels {

// cols[r − row_begin][0, patch) = the patch of row r, for r in [row_begin, row_end);
// padding reads as zero. Rows may span several images.
void im2col(const Window2D& g, const float* x, std::int64_t row_begin, std::int64_t row_end, float* cols);

// The adjoint of im2col: dx[pixel under the window] += dcols[r − row_begin][...].
void col2im_add(const Window2D& g, const float* dcols, std::int64_t row_begin, std::int64_t row_end, float* dx);

// col2im_add for a transposed block, dcols_t[t][r − row_begin] with row stride ld:
// one row per tap. With few channels the taps' targets along an output row are
// C·SW floats apart (contiguous for C = 1, stride 1), so the adds run as long loops
// instead of a few floats per (row, ky) span. Rows must lie in one image.
void col2im_transposed_add(const Window2D& g, const float* dcols_t, std::int64_t ld, std::int64_t row_begin,
                           std::int64_t row_end, float* dx);

// How many rows one im2col block holds: about 128 KiB of patches, so the block and
// the GEMM's output rows stay in L2 while the GEMM reads them.
std::int64_t im2col_block_rows(const Window2D& g);

// A buffer of at least `floats` floats owned by the calling thread, reused across
// calls (and grown, never shrunk): valid until this thread's next call.
float* im2col_scratch(std::int64_t floats);

}  // namespace kernels
}  // namespace spool
