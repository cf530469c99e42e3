// Adam, as keras.optimizers.Adam (Kingma & Ba, with the bias correction folded into
// the step size), and AMSGrad:
//   t = iterations + 1;  alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)              (slots "m", "v")
//   amsgrad: vhat = max(vhat, v), used in place of v                         (slot "vhat")
//   w -= alpha * m / (sqrt(v) + epsilon)
// Defaults are Keras': learning_rate 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
// PyTorch's default epsilon is 1e-8 and it adds epsilon to sqrt(v_hat) after the bias
// correction (w -= lr * m_hat / (sqrt(v_hat) + eps)), i.e. epsilon * sqrt(1 - beta_2^t)
// here; set epsilon to match either.
//
//   autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3).epsilon(1e-8));
//   adam.apply_gradients(grads, vars);
//
// optimizer.h has the contract (clipping, schedules, state); thread-safety as there.
#pragma once

#include "spool/autodiff/optim/optimizer.h"

namespace spool::autodiff {

class AdamOptions : public OptimizerOptions<AdamOptions> {
 public:
  AdamOptions() : OptimizerOptions(1e-3) {}
  AdamOptions& beta_1(double v) { return set(beta_1_, v); }
  AdamOptions& beta_2(double v) { return set(beta_2_, v); }
  AdamOptions& epsilon(double v) { return set(epsilon_, v); }
  AdamOptions& amsgrad(bool v) { return set(amsgrad_, v); }
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }

 private:
  double beta_1_ = 0.9;
  double beta_2_ = 0.999;
  double epsilon_ = 1e-7;
  bool amsgrad_ = false;
};

class Adam : public Optimizer {
 public:
  // Throws InvalidArgument for betas outside [0, 1) or epsilon < 0.
  explicit Adam(const AdamOptions& options = {});

 private:
  void update(const Run& run, double learning_rate, std::int64_t step) override;
  AdamOptions options_;
};

}  // namespace spool::autodiff
