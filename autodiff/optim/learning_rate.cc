#include "spool/autodiff/optim/learning_rate.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "spool/tensor/error.h"

namespace spool::autodiff {

ExponentialDecay::ExponentialDecay(const Options& options) : options_(options) {
  SPOOL_CHECK(options.decay_steps_ > 0, InvalidArgument, "ExponentialDecay: decay_steps must be > 0, got ",
              options.decay_steps_);
  SPOOL_CHECK(options.decay_rate_ > 0, InvalidArgument, "ExponentialDecay: decay_rate must be > 0, got ",
              options.decay_rate_);
}

double ExponentialDecay::operator()(std::int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(options_.decay_steps_);
  if (options_.staircase_) p = std::floor(p);
  return options_.initial_learning_rate_ * std::pow(options_.decay_rate_, p);
}

CosineDecay::CosineDecay(const Options& options) : options_(options) {
  SPOOL_CHECK(options.decay_steps_ > 0, InvalidArgument, "CosineDecay: decay_steps must be > 0, got ",
              options.decay_steps_);
}

double CosineDecay::operator()(std::int64_t step) const {
  const double completed = static_cast<double>(std::min(step, options_.decay_steps_)) /
                           static_cast<double>(options_.decay_steps_);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * completed));
  return options_.initial_learning_rate_ * ((1.0 - options_.alpha_) * cosine + options_.alpha_);
}

LearningRate::LearningRate(std::shared_ptr<const LearningRateSchedule> schedule) : schedule_(std::move(schedule)) {
  SPOOL_CHECK(schedule_ != nullptr, InvalidArgument, "LearningRate: null schedule");
}

}  // namespace spool::autodiff
