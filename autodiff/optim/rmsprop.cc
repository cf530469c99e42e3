#include "spool/autodiff/optim/rmsprop.h"

#include "spool/autodiff/optim/detail/update_kernels.h"

namespace spool::autodiff {
namespace {

std::vector<Optimizer::SlotSpec> rmsprop_slots(const RMSpropOptions& o) {
  SPOOL_CHECK(o.rho() >= 0 && o.rho() <= 1 && o.momentum() >= 0 && o.momentum() <= 1, InvalidArgument,
              "rmsprop: rho and momentum must be in [0, 1], got ", o.rho(), " and ", o.momentum());
  SPOOL_CHECK(o.epsilon() >= 0, InvalidArgument, "rmsprop: epsilon must be >= 0, got ", o.epsilon());
  std::vector<Optimizer::SlotSpec> slots{{"velocity", 0.0}};
  if (o.centered()) slots.push_back({"average_gradient", 0.0});
  if (o.momentum() > 0) slots.push_back({"momentum", 0.0});
  return slots;
}

}  // namespace

RMSprop::RMSprop(const RMSpropOptions& options)
    : Optimizer("rmsprop", options.common(), rmsprop_slots(options)), options_(options) {}

void RMSprop::update(const Run& run, double learning_rate, std::int64_t /*step*/) {
  const detail::RmspropParams k{learning_rate, options_.rho(), options_.momentum(), options_.epsilon(),
                                run.grad_scale};
  const std::size_t avg = options_.centered() ? 1 : Optimizer::kMaxSlots;
  const std::size_t mom = options_.momentum() > 0 ? (options_.centered() ? 2 : 1) : Optimizer::kMaxSlots;
  run.visit([&]<typename T>(T) {
    detail::rmsprop_update(run.param_as<T>(), run.grad_as<T>(), run.slot_as<T>(0), run.slot_as<T>(avg),
                           run.slot_as<T>(mom), run.n, k);
  });
}

}  // namespace spool::autodiff
