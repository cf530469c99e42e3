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
// re-scanning every window in backward.
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
void avg_pool2d(const Window2D& g, const float* x, float* y);
// Overwrites dx: each dy spread evenly over the input pixels of its window.
void avg_pool2d_backward(const Window2D& g, const float* dy, float* dx);

}  // namespace kernels

struct MaxPool2DResult {
  Tensor output;  // [N, OH, OW, C] f32
  Tensor argmax;  // [N, OH, OW, C] i64, index within the image (see above)
};

// x: [N, H, W, C] f32, any strides.
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options);
MaxPool2DResult max_pool2d_with_argmax(const Tensor& x, const Pool2DOptions& options);
// dy and argmax: [N, OH, OW, C]; input_shape: x.shape() of the forward call.
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape);

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, const Pool2DOptions& options);

}  // namespace spool
