// RMSprop, as keras.optimizers.RMSprop:
//   v = rho * v + (1 - rho) * g^2                                            (slot "velocity")
//   centered: a = rho * a + (1 - rho) * g;  d = v - a^2 + epsilon            (slot "average_gradient")
//   else:     d = v + epsilon
//   momentum > 0: m = momentum * m + lr * g / sqrt(d);  w -= m               (slot "momentum")
//   else:         w -= lr * g / sqrt(d)
// Defaults are Keras': learning_rate 1e-3, rho 0.9, momentum 0, epsilon 1e-7, not
// centered. PyTorch's RMSprop defaults to lr 1e-2, alpha (rho) 0.99, epsilon 1e-8, and
// adds epsilon outside the square root: lr * g / (sqrt(v) + eps).
//
//   autodiff::RMSprop rms(autodiff::RMSpropOptions().rho(0.9).momentum(0.5).centered(true));
//
// optimizer.h has the contract (clipping, schedules, state); thread-safety as there.
#pragma once

#include "spool/autodiff/optim/optimizer.h"

namespace spool::autodiff {

class RMSpropOptions : public OptimizerOptions<RMSpropOptions> {
 public:
  RMSpropOptions() : OptimizerOptions(1e-3) {}
  RMSpropOptions& rho(double v) { return set(rho_, v); }
  RMSpropOptions& momentum(double v) { return set(momentum_, v); }
  RMSpropOptions& epsilon(double v) { return set(epsilon_, v); }
  RMSpropOptions& centered(bool v) { return set(centered_, v); }
  double rho() const { return rho_; }
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }
  bool centered() const { return centered_; }

 private:
  double rho_ = 0.9;
  double momentum_ = 0;
  double epsilon_ = 1e-7;
  bool centered_ = false;
};

class RMSprop : public Optimizer {
 public:
  // Throws InvalidArgument for rho or momentum outside [0, 1], or epsilon < 0.
  explicit RMSprop(const RMSpropOptions& options = {});

 private:
  void update(const Run& run, double learning_rate, std::int64_t step) override;
  RMSpropOptions options_;
};

}  // namespace spool::autodiff
