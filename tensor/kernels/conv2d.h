// 2-D convolution over NHWC activations with HWIO filters (TensorFlow/Keras layouts),
// forward with a fused bias + activation epilogue, and both backward passes.
//
//   Tensor x = ...;                                    // [N, H, W, C_in]
//   Tensor w = ...;                                    // [KH, KW, C_in, C_out]
//   Tensor b = ...;                                    // [C_out]
//   auto opts = Conv2DOptions().stride(2).padding(Padding::kSame);
//   Tensor y = conv2d(x, w, b, opts);                  // [N, ceil(H/2), ceil(W/2), C_out]
//   Tensor dx = conv2d_backward_input(dy, w, x.shape(), opts);
//   Tensor dw = conv2d_backward_filter(x, dy, w.shape(), opts);
//   Tensor db = conv2d_backward_bias(dy);              // Σ of dy over N, H, W
//   auto [dw2, db2] = conv2d_backward_filter_and_bias(x, dy, w.shape(), opts);  // one pass
//
// Dilation is 1. Padding follows TensorFlow (see im2col.h). With an activation in the
// options, the forward returns act(conv + bias) in one pass over the output; the
// backward passes then take the gradient w.r.t. the PRE-activation output, so a layer
// first runs activation_backward(y, dy) (bias_activation.h) on its gradient.
//
// How it runs: rows of output pixels are lowered by im2col into blocks of about 128
// KiB and multiplied with the filter by kernels::sgemm, blocks in parallel on the
// process-wide pool, each thread reusing its own scratch. The filter gradient sums
// per-chunk partials in chunk order, so every result is bitwise reproducible for a
// given thread count. A 1×1, stride-1 convolution skips im2col: it is one GEMM. A
// short patch (C_in = 1 or 3, the first layer) runs forward on a direct AVX2 kernel
// instead (conv2d_direct below), and its input gradient is lowered Wᵀ-major (P × R)
// so that the GEMM's tiles fill and col2im adds along output rows.
//
// Thread-safety: pure functions; calls may run concurrently on distinct outputs.
#pragma once

#include <cstdint>

#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/kernels/im2col.h"
#include "spool/tensor/tensor.h"

namespace spool {

class Conv2DOptions {
 public:
  Conv2DOptions& stride(std::int64_t s) { return stride(s, s); }
  Conv2DOptions& stride(std::int64_t h, std::int64_t w) {
    stride_h_ = h;
    stride_w_ = w;
    return *this;
  }
  Conv2DOptions& padding(Padding p) {
    padding_ = p;
    return *this;
  }
  // Applied in the forward pass only (see above).
  Conv2DOptions& activation(Activation a) {
    activation_ = a;
    return *this;
  }

  std::int64_t stride_h() const { return stride_h_; }
  std::int64_t stride_w() const { return stride_w_; }
  Padding padding() const { return padding_; }
  Activation activation() const { return activation_; }

 private:
  std::int64_t stride_h_ = 1, stride_w_ = 1;
  Padding padding_ = Padding::kValid;
  Activation activation_ = Activation::kNone;
};

namespace kernels {

// Raw kernels on contiguous buffers. g describes the input (g.channels = C_in) and the
// window (the filter's KH, KW); the filter is [KH·KW·C_in, C_out] row-major, which is
// HWIO flattened. Outputs are overwritten.

// y [N, OH, OW, C_out] = act(conv(x, filter) + bias); bias may be null.
void conv2d(const Window2D& g, std::int64_t c_out, const float* x, const float* filter, const float* bias,
            Activation activation, float* y);

// The same without im2col, for short patches (C_in = 1 or 3) on CPUs with AVX2 and
// FMA, where lowering costs more than the GEMM (conv2d_direct.cc); conv2d picks it when
// conv2d_direct_supported(), which needs C_out % 8 == 0 and a patch of at most
// kConv2dDirectMaxPatch floats. Elsewhere conv2d_direct throws Unimplemented.
inline constexpr std::int64_t kConv2dDirectMaxPatch = 64;
bool conv2d_direct_supported(const Window2D& g, std::int64_t c_out);
void conv2d_direct(const Window2D& g, std::int64_t c_out, const float* x, const float* filter, const float* bias,
                   Activation activation, float* y);

// dx [N, H, W, C_in] from dy [N, OH, OW, C_out].
void conv2d_backward_input(const Window2D& g, std::int64_t c_out, const float* dy, const float* filter, float* dx);

// dfilter [KH, KW, C_in, C_out] from x and dy; and, when dbias is not null, the bias
// gradient [C_out] summed while each block of dy is in cache.
void conv2d_backward_filter(const Window2D& g, std::int64_t c_out, const float* x, const float* dy,
                            float* dfilter, float* dbias = nullptr);


// f32 tensors of any strides (non-contiguous ones are copied first); results are new
// contiguous tensors. InvalidArgument quotes the shapes when they do not fit.
Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DOptions& options = {});
// bias: [C_out], or an undefined Tensor for none.
Tensor conv2d(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DOptions& options = {});

// dy: the gradient w.r.t. the (pre-activation) output; input_shape: x.shape().
Tensor conv2d_backward_input(const Tensor& dy, const Tensor& filter, const Shape& input_shape,
                             const Conv2DOptions& options = {});
Tensor conv2d_backward_filter(const Tensor& input, const Tensor& dy, const Shape& filter_shape,
                              const Conv2DOptions& options = {});
// [C_out]: dy summed over N, OH, OW.
Tensor conv2d_backward_bias(const Tensor& dy);

// conv2d_backward_filter and conv2d_backward_bias in one pass over dy.
struct Conv2DFilterGrads {
  Tensor dfilter;  // filter_shape
  Tensor dbias;    // [C_out]
};
Conv2DFilterGrads conv2d_backward_filter_and_bias(const Tensor& input, const Tensor& dy, const Shape& filter_shape,
                                                  const Conv2DOptions& options = {});

// The output shape conv2d gives for these shapes and options, after the same checks.
Shape conv2d_output_shape(const Shape& input, const Shape& filter, const Conv2DOptions& options = {});

}  // namespace kernels
}  // namespace spool
