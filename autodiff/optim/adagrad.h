// Adagrad, as keras.optimizers.Adagrad:
//   acc += g^2;  w -= lr * g / sqrt(acc + epsilon)                          (slot "accumulator")
// Defaults are Keras': learning_rate 1e-3, initial_accumulator_value 0.1, epsilon 1e-7.
// PyTorch's Adagrad defaults to lr 1e-2, initial_accumulator_value 0, epsilon 1e-10
// added outside the square root: lr * g / (sqrt(acc) + eps).
//
//   autodiff::Adagrad adagrad(autodiff::AdagradOptions().learning_rate(0.1));
//
// optimizer.h has the contract (clipping, schedules, state); thread-safety as there.
#pragma once

#include "spool/autodiff/optim/optimizer.h"

namespace spool::autodiff {

class AdagradOptions : public OptimizerOptions<AdagradOptions> {
 public:
  AdagradOptions() : OptimizerOptions(1e-3) {}
  AdagradOptions& initial_accumulator_value(double v) { return set(initial_accumulator_value_, v); }
  AdagradOptions& epsilon(double v) { return set(epsilon_, v); }
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  double epsilon() const { return epsilon_; }

 private:
  double initial_accumulator_value_ = 0.1;
  double epsilon_ = 1e-7;
};

class Adagrad : public Optimizer {
 public:
  // Throws InvalidArgument for a negative initial_accumulator_value or epsilon.
  explicit Adagrad(const AdagradOptions& options = {});

 private:
  void update(const Run& run, double learning_rate, std::int64_t step) override;
  AdagradOptions options_;
};

}  // namespace spool::autodiff
