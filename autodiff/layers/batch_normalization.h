// BatchNormalization over the last axis (channels), as keras.layers.BatchNormalization.
//
//   layers::BatchNormalization bn;                               // momentum 0.99, epsilon 1e-3
//   Tensor y = bn(x, {.training = true});   // batch statistics; moving ones updated
//   Tensor z = bn(x);                       // inference: the moving statistics
//
// Variables "<name>/gamma" (ones) and "<name>/beta" (zeros), trainable, and
// "<name>/moving_mean" (zeros) and "<name>/moving_variance" (ones), NOT trainable: they
// sit in the arena, so checkpoints save them, but trainable_variables() leaves them out.
// Training: y = gamma·(x − mean)/sqrt(var + epsilon) + beta with the mean and the
// (biased) variance of the batch over every axis but the last, recorded so gradients
// flow through them; then moving = moving·momentum + batch·(1 − momentum), in place and
// not recorded (as Keras, the biased batch variance). Inference uses the moving ones.
// Frozen (trainable(false)), it runs in inference mode even in training, as Keras 2.
// Thread-safety: see layer.h; a training call writes the moving statistics (under a
// distribution strategy, only replica 0's: distribute/strategy.h).
#pragma once

#include <string>

#include "spool/autodiff/layers/layer.h"

namespace spool::layers {

class BatchNormalizationOptions {
 public:
  BatchNormalizationOptions& momentum(double m) {
    momentum_ = m;
    return *this;
  }
  BatchNormalizationOptions& epsilon(double e) {
    epsilon_ = e;
    return *this;
  }
  BatchNormalizationOptions& center(bool c) {  // with beta
    center_ = c;
    return *this;
  }
  BatchNormalizationOptions& scale(bool s) {  // with gamma
    scale_ = s;
    return *this;
  }
  BatchNormalizationOptions& name(std::string n) {
    name_ = std::move(n);
    return *this;
  }
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }
  bool center() const { return center_; }
  bool scale() const { return scale_; }
  const std::string& name() const { return name_; }

 private:
  double momentum_ = 0.99;
  double epsilon_ = 1e-3;
  bool center_ = true;
  bool scale_ = true;
  std::string name_;
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = BatchNormalizationOptions());
  std::string type() const override { return "BatchNormalization"; }
  const BatchNormalizationOptions& options() const { return options_; }
  autodiff::Variable gamma() const { return gamma_; }
  autodiff::Variable beta() const { return beta_; }
  autodiff::Variable moving_mean() const { return moving_mean_; }
  autodiff::Variable moving_variance() const { return moving_variance_; }

 protected:
  Shape build_layer(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) override;
  // With training the batch statistics normalise (the moving ones are left alone).
  Tensor call(const Tensor& x, const CallContext& context) const override;
  // call, then the moving statistics move towards the batch's.
  Tensor call_training(const Tensor& x, const CallContext& context) override;

 private:
  Tensor normalize(const Tensor& x, bool training, Tensor* batch_mean, Tensor* batch_variance) const;

  BatchNormalizationOptions options_;
  autodiff::Variable gamma_, beta_, moving_mean_, moving_variance_;
};

}  // namespace spool::layers
