#include "spool/autodiff/optim/adagrad.h"

#include "spool/autodiff/optim/detail/update_kernels.h"

namespace spool::autodiff {
namespace {

std::vector<Optimizer::SlotSpec> adagrad_slots(const AdagradOptions& o) {
  SPOOL_CHECK(o.initial_accumulator_value() >= 0 && o.epsilon() >= 0, InvalidArgument,
              "adagrad: initial_accumulator_value and epsilon must be >= 0, got ", o.initial_accumulator_value(),
              " and ", o.epsilon());
  return {{"accumulator", o.initial_accumulator_value()}};
}

}  // namespace

Adagrad::Adagrad(const AdagradOptions& options)
    : Optimizer("adagrad", options.common(), adagrad_slots(options)), options_(options) {}

void Adagrad::update(const Run& run, double learning_rate, std::int64_t /*step*/) {
  const detail::AdagradParams k{learning_rate, options_.epsilon(), run.grad_scale};
  run.visit([&]<typename T>(T) {
    detail::adagrad_update(run.param_as<T>(), run.grad_as<T>(), run.slot_as<T>(0), run.n, k);
  });
}

}  // namespace spool::autodiff
