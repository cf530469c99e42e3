// Conv2D: activation(conv(x, kernel) + bias) over NHWC images, as keras.layers.Conv2D
// (channels_last; the kernel is HWIO, [kh, kw, in_channels, filters], as TensorFlow).
//
//   layers::Conv2D conv(layers::Conv2DOptions(32, 3).activation("relu"));  // 3×3, valid
//   layers::Conv2D down(layers::Conv2DOptions(64, 3).strides(2).padding(Padding::kSame));
//
// Variables "<name>/kernel" (glorot_uniform) and "<name>/bias" [filters] (zeros). relu
// and sigmoid run fused in the convolution's epilogue (conv2d); tanh and softmax
// after. Padding follows TensorFlow ("same" puts the odd element after).
// Thread-safety: see layer.h.
#pragma once

#include <cstdint>
#include <string>

#include "spool/autodiff/layers/layer.h"
#include "spool/tensor/kernels/im2col.h"

namespace spool::layers {

// Activation, use_bias, initialisers and name: see KernelLayerOptions (layer.h).
class Conv2DOptions : public KernelLayerOptions<Conv2DOptions> {
 public:
  Conv2DOptions(std::int64_t filters, std::int64_t kernel_size) : Conv2DOptions(filters, kernel_size, kernel_size) {}
  Conv2DOptions(std::int64_t filters, std::int64_t kernel_h, std::int64_t kernel_w)
      : filters_(filters), kernel_h_(kernel_h), kernel_w_(kernel_w) {}
  Conv2DOptions& strides(std::int64_t s) { return strides(s, s); }
  Conv2DOptions& strides(std::int64_t h, std::int64_t w) {
    stride_h_ = h;
    stride_w_ = w;
    return *this;
  }
  Conv2DOptions& padding(Padding p) {
    padding_ = p;
    return *this;
  }

  std::int64_t filters() const { return filters_; }
  std::int64_t kernel_h() const { return kernel_h_; }
  std::int64_t kernel_w() const { return kernel_w_; }
  std::int64_t stride_h() const { return stride_h_; }
  std::int64_t stride_w() const { return stride_w_; }
  Padding padding() const { return padding_; }

 private:
  std::int64_t filters_, kernel_h_, kernel_w_;
  std::int64_t stride_h_ = 1, stride_w_ = 1;
  Padding padding_ = Padding::kValid;
};

class Conv2D : public Layer {
 public:
  explicit Conv2D(Conv2DOptions options);
  std::string type() const override { return "Conv2D"; }
  const Conv2DOptions& options() const { return options_; }
  autodiff::Variable kernel() const { return kernel_; }
  autodiff::Variable bias() const { return bias_; }  // undefined without use_bias

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;

 private:
  Conv2DOptions options_;
  autodiff::Variable kernel_, bias_;
};

// The per-example output [OH, OW, channels_out] of a window over images [H, W, C], by
// TensorFlow's rule; InvalidArgument naming `who` and the input shape otherwise. Shared
// by Conv2D and the pooling layers.
Shape windowed_shape(const Shape& input_shape, std::int64_t channels_out, std::int64_t kernel_h, std::int64_t kernel_w,
                     std::int64_t stride_h, std::int64_t stride_w, Padding padding, const std::string& who);

}  // namespace spool::layers
