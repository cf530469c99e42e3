// SGD with optional momentum and Nesterov momentum, as keras.optimizers.SGD:
//   momentum == 0:  w -= lr * g
//   momentum > 0:   m = momentum * m - lr * g;  w += m                       (slot "momentum")
//   nesterov:       m = momentum * m - lr * g;  w += momentum * m - lr * g
// Defaults are Keras': learning_rate 0.01, momentum 0, nesterov off. PyTorch's SGD
// keeps v = momentum * v + g and steps w -= lr * v: the same trajectory for a constant
// learning rate, a different one when the rate changes, and a different slot value.
//
//   autodiff::SGD sgd(autodiff::SGDOptions().learning_rate(0.1).momentum(0.9).nesterov(true));
//   sgd.apply_gradients(grads, vars);
//
// optimizer.h has the contract (clipping, schedules, state); thread-safety as there.
#pragma once

#include "spool/autodiff/optim/optimizer.h"

namespace spool::autodiff {

class SGDOptions : public OptimizerOptions<SGDOptions> {
 public:
  SGDOptions() : OptimizerOptions(0.01) {}
  SGDOptions& momentum(double v) { return set(momentum_, v); }
  SGDOptions& nesterov(bool v) { return set(nesterov_, v); }
  double momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }

 private:
  double momentum_ = 0;
  bool nesterov_ = false;
};

class SGD : public Optimizer {
 public:
  // Throws InvalidArgument for a momentum outside [0, 1].
  explicit SGD(const SGDOptions& options = {});

 private:
  void update(const Run& run, double learning_rate, std::int64_t step) override;
  SGDOptions options_;
};

}  // namespace spool::autodiff
