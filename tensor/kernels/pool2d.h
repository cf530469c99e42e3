// 2-D max and average pooling over NHWC activations, forward and backward, with
// Keras/TensorFlow semantics.
//
//   Tensor y = max_pool2d(x, Pool2DOptions(2));                  // 2×2 window, stride 2
//   MaxPool2DResult r = max_pool2d_with_argmax(x, Pool2DOptions(3).stride(2).padding(Padding::kSame));
//   Tensor dx = max_pool2d_backward(dy, r.argmax, x.shape());
//   Tensor a = avg_pool2d(x, Pool2DOptions(2, 3));               // 2×3 window
//   Tensor da = avg_pool2d_backward(dy, x.shape(), Pool2DOptions(2, 3));
//
// The stride defaults to the window (Keras' pool_size = strides). `same` padding never
// contributes values: max ignores it, and avg divides by the number of input pixels
// under the window (TensorFlow's rule), not by the window area.
//
// Max backward routes each output gradient to the input position that won the forward
// pass, the FIRST maximum in (row, column) scan order on ties. That position is kept
// from the forward pass as an i64 argmax tensor shaped like the output, holding the
// flat index (y·W + x)·C + c within its image, TensorFlow's max_pool_with_argmax with
// include_batch_in_index = false. Keeping it (8 bytes per output) is cheaper than
// re-scanning every window in backward; where windows do not overlap, the position
// within the window (1 byte) is enough (max_pool2d_with_window_argmax).
//
// Thread-safety: pure functions split by images over the process-wide pool; calls may
// run concurrently on distinct outputs; results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "spool/tensor/kernels/im2col.h"
#include "spool/tensor/tensor.h"

namespace spool {

class Pool2DOptions {
 public:
  explicit Pool2DOptions(std::int64_t window) : window_h_(window), window_w_(window) {}
  Pool2DOptions(std::int64_t window_h, std::int64_t window_w) : window_h_(window_h), window_w_(window_w) {}

  Pool2DOptions& stride(std::int64_t s) { return stride(s, s); }
  Pool2DOptions& stride(std::int64_t h, std::int64_t w) {
    stride_h_ = h;
    stride_w_ = w;
    return *this;
  }
  Pool2DOptions& padding(Padding p) {
    padding_ = p;
    return *this;
  }

  std::int64_t window_h() const { return window_h_; }
  std::int64_t window_w() const { return window_w_; }
  std::int64_t stride_h() const { return stride_h_ ? stride_h_ : window_h_; }
  std::int64_t stride_w() const { return stride_w_ ? stride_w_ : window_w_; }
  Padding padding() const { return padding_; }

 private:
  std::int64_t window_h_, window_w_;
  std::int64_t stride_h_ = 0, stride_w_ = 0;  // 0: the window
  Padding padding_ = Padding::kValid;
};

namespace kernels {

// g.channels is C of x and y; y is [N, OH, OW, C]; argmax (same extent) may be null.
void max_pool2d(const Window2D& g, const float* x, float* y, std::int64_t* argmax);
// Overwrites dx [N, H, W, C]: dx = 0, then dx[argmax] += dy per output element.
void max_pool2d_backward(const Window2D& g, const float* dy, const std::int64_t* argmax, float* dx);
// Windows that never overlap (stride >= window in both axes, as Keras' default
// pool_size = strides) of at most kMaxWindowPositions elements: each input element lies
// under at most one window, so a window position (u8) identifies the winner.
inline constexpr std::int64_t kMaxWindowPositions = 255;
inline constexpr std::uint8_t kNoPosition = 255;  // an empty window's: never a real position
bool pool_windows_disjoint(const Window2D& g);
// As max_pool2d, with `position` = the first maximum's place in its clipped window, in
// scan order (what argmax holds, relative to the window). Disjoint windows only.
void max_pool2d_window_argmax(const Window2D& g, const float* x, float* y, std::uint8_t* position);
// Overwrites dx: dy at each window's recorded position, 0 everywhere else. Throws unless
// the windows are disjoint.
void max_pool2d_backward_window_argmax(const Window2D& g, const float* dy, const std::uint8_t* position, float* dx);
void avg_pool2d(const Window2D& g, const float* x, float* y);
// Overwrites dx: each dy spread evenly over the input pixels of its window.
void avg_pool2d_backward(const Window2D& g, const float* dy, float* dx);


struct MaxPool2DResult {
  Tensor output;  // [N, OH, OW, C] f32
  Tensor argmax;  // [N, OH, OW, C] i64 index within the image (see above), or u8 window position
};

// x: [N, H, W, C] f32, any strides.
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options);
MaxPool2DResult max_pool2d_with_argmax(const Tensor& x, const Pool2DOptions& options);
// dy and argmax: [N, OH, OW, C]; input_shape: x.shape() of the forward call.
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape);
// For windows that never overlap (stride >= window, at most 255 positions; throws
// otherwise): argmax holds, as u8, each maximum's position within its window instead of
// its index in the image. 1 byte per output instead of 8, found in the same pass as the
// maximum, and the backward writes dx once without zeroing it first.
MaxPool2DResult max_pool2d_with_window_argmax(const Tensor& x, const Pool2DOptions& options);
Tensor max_pool2d_backward_window_argmax(const Tensor& dy, const Tensor& position, const Shape& input_shape,
                                         const Pool2DOptions& options);

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, const Pool2DOptions& options);

}  // namespace kernels
}  // namespace spool
