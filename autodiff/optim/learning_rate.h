// Learning-rate schedules, computed exactly as Keras' keras.optimizers.schedules do,
// and LearningRate: what an optimizer takes — a constant or a schedule.
//
//   auto decay = std::make_shared<ExponentialDecay>(ExponentialDecay::Options()
//                    .initial_learning_rate(0.1).decay_steps(1000).decay_rate(0.96).staircase(true));
//   Adam adam(AdamOptions().learning_rate(decay));   // or .learning_rate(1e-3)
//
// A schedule is called with the optimizer's iterations() before the step it applies
// (0 for the first step), as Keras' optimizer does. Values are computed in f64.
// Thread-safety: schedules are immutable; share them freely.
#pragma once

#include <cstdint>
#include <memory>

namespace spool::autodiff {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(std::int64_t step) const = 0;
};

// initial_learning_rate * decay_rate ^ (step / decay_steps), the exponent floored when
// staircase.
class ExponentialDecay : public LearningRateSchedule {
 public:
  class Options {
   public:
    Options& initial_learning_rate(double v) { initial_learning_rate_ = v; return *this; }
    Options& decay_steps(std::int64_t v) { decay_steps_ = v; return *this; }
    Options& decay_rate(double v) { decay_rate_ = v; return *this; }
    Options& staircase(bool v) { staircase_ = v; return *this; }

   private:
    friend class ExponentialDecay;
    double initial_learning_rate_ = 0.01;
    std::int64_t decay_steps_ = 1000;
    double decay_rate_ = 0.96;
    bool staircase_ = false;
  };
  // Throws InvalidArgument for decay_steps <= 0 or decay_rate <= 0.
  explicit ExponentialDecay(const Options& options);
  double operator()(std::int64_t step) const override;

 private:
  Options options_;
};

// initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
// decay_steps)) + alpha): from the initial rate down to alpha * initial at decay_steps,
// constant after (Keras' CosineDecay without warmup).
class CosineDecay : public LearningRateSchedule {
 public:
  class Options {
   public:
    Options& initial_learning_rate(double v) { initial_learning_rate_ = v; return *this; }
    Options& decay_steps(std::int64_t v) { decay_steps_ = v; return *this; }
    Options& alpha(double v) { alpha_ = v; return *this; }

   private:
    friend class CosineDecay;
    double initial_learning_rate_ = 0.01;
    std::int64_t decay_steps_ = 1000;
    double alpha_ = 0.0;
  };
  // Throws InvalidArgument for decay_steps <= 0.
  explicit CosineDecay(const Options& options);
  double operator()(std::int64_t step) const override;

 private:
  Options options_;
};

// A constant or a shared schedule; converts implicitly from either.
class LearningRate {
 public:
  LearningRate(double constant) : constant_(constant) {}  // NOLINT(google-explicit-constructor)
  LearningRate(std::shared_ptr<const LearningRateSchedule> schedule);  // NOLINT(google-explicit-constructor)
  double at(std::int64_t step) const { return schedule_ ? (*schedule_)(step) : constant_; }
  bool is_schedule() const { return schedule_ != nullptr; }

 private:
  double constant_ = 0;
  std::shared_ptr<const LearningRateSchedule> schedule_;
};

}  // namespace spool::autodiff
