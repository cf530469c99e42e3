// Pooling over NHWC images, as keras.layers.MaxPooling2D, AveragePooling2D and
// GlobalAveragePooling2D. None has variables.
//
//   layers::MaxPooling2D pool;                                        // 2×2, stride 2, valid
//   layers::AveragePooling2D avg(layers::Pooling2DOptions(3).strides(1).padding(Padding::kSame));
//   layers::GlobalAveragePooling2D gap;                               // [N, H, W, C] -> [N, C]
//
// strides default to the pool size (Keras' strides=None). Average pooling with "same"
// padding divides by the pixels under the window, not counting the padding (as TF).
// Thread-safety: see layer.h.
#pragma once

#include <cstdint>
#include <string>

#include "spool/autodiff/layers/layer.h"
#include "spool/tensor/kernels/pool2d.h"

namespace spool::layers {

class Pooling2DOptions {
 public:
  explicit Pooling2DOptions(std::int64_t pool_size = 2) : Pooling2DOptions(pool_size, pool_size) {}
  Pooling2DOptions(std::int64_t pool_h, std::int64_t pool_w) : pool_h_(pool_h), pool_w_(pool_w) {}
  Pooling2DOptions& strides(std::int64_t s) { return strides(s, s); }
  Pooling2DOptions& strides(std::int64_t h, std::int64_t w) {
    stride_h_ = h;
    stride_w_ = w;
    return *this;
  }
  Pooling2DOptions& padding(Padding p) {
    padding_ = p;
    return *this;
  }
  Pooling2DOptions& name(std::string n) {
    name_ = std::move(n);
    return *this;
  }
  // As the kernel's options (stride 0 there means "the window").
  Pool2DOptions kernel_options() const {
    return Pool2DOptions(pool_h_, pool_w_).stride(stride_h_, stride_w_).padding(padding_);
  }
  const std::string& name() const { return name_; }

 private:
  std::int64_t pool_h_, pool_w_;
  std::int64_t stride_h_ = 0, stride_w_ = 0;  // 0: the pool size
  Padding padding_ = Padding::kValid;
  std::string name_;
};

// The shared body of the two windowed poolings.
class Pooling2D : public Layer {
 public:
  const Pooling2DOptions& options() const { return options_; }

 protected:
  explicit Pooling2D(Pooling2DOptions options) : Layer(options.name()), options_(std::move(options)) {}
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;

  Pooling2DOptions options_;
};

class MaxPooling2D : public Pooling2D {
 public:
  explicit MaxPooling2D(Pooling2DOptions options = Pooling2DOptions()) : Pooling2D(std::move(options)) {}
  std::string type() const override { return "MaxPooling2D"; }

 protected:
  Tensor call(const Tensor& x, const CallContext& context) const override;
};

class AveragePooling2D : public Pooling2D {
 public:
  explicit AveragePooling2D(Pooling2DOptions options = Pooling2DOptions()) : Pooling2D(std::move(options)) {}
  std::string type() const override { return "AveragePooling2D"; }

 protected:
  Tensor call(const Tensor& x, const CallContext& context) const override;
};

// The mean over H and W of each channel.
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(std::string name = {}) : Layer(std::move(name)) {}
  std::string type() const override { return "GlobalAveragePooling2D"; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  Tensor call(const Tensor& x, const CallContext& context) const override;
};

}  // namespace spool::layers
