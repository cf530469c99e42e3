#include "spool/autodiff/optim/adam.h"

#include <cmath>

#include "spool/autodiff/optim/detail/update_kernels.h"

namespace spool::autodiff {
namespace {

std::vector<Optimizer::SlotSpec> adam_slots(const AdamOptions& o) {
  SPOOL_CHECK(o.beta_1() >= 0 && o.beta_1() < 1 && o.beta_2() >= 0 && o.beta_2() < 1, InvalidArgument,
              "adam: beta_1 and beta_2 must be in [0, 1), got ", o.beta_1(), " and ", o.beta_2());
  SPOOL_CHECK(o.epsilon() >= 0, InvalidArgument, "adam: epsilon must be >= 0, got ", o.epsilon());
  std::vector<Optimizer::SlotSpec> slots{{"m", 0.0}, {"v", 0.0}};
  if (o.amsgrad()) slots.push_back({"vhat", 0.0});
  return slots;
}

}  // namespace

Adam::Adam(const AdamOptions& options) : Optimizer("adam", options.common(), adam_slots(options)), options_(options) {}

void Adam::update(const Run& run, double learning_rate, std::int64_t step) {
  const double t = static_cast<double>(step);
  const double alpha =
      learning_rate * std::sqrt(1 - std::pow(options_.beta_2(), t)) / (1 - std::pow(options_.beta_1(), t));
  const detail::AdamParams k{alpha, 1 - options_.beta_1(), 1 - options_.beta_2(), options_.epsilon(),
                             run.grad_scale};
  // Slot 2 (vhat) is null unless amsgrad: update() gets nullptr for unused slots.
  run.visit([&]<typename T>(T) {
    detail::adam_update(run.param_as<T>(), run.grad_as<T>(), run.slot_as<T>(0), run.slot_as<T>(1), run.slot_as<T>(2),
                        run.n, k);
  });
}

}  // namespace spool::autodiff
