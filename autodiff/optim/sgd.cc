#include "spool/autodiff/optim/sgd.h"

#include "spool/autodiff/optim/detail/update_kernels.h"

namespace spool::autodiff {
namespace {

std::vector<Optimizer::SlotSpec> sgd_slots(const SGDOptions& o) {
  SPOOL_CHECK(o.momentum() >= 0 && o.momentum() <= 1, InvalidArgument, "sgd: momentum must be in [0, 1], got ",
              o.momentum());
  if (o.momentum() == 0) return {};
  return {{"momentum", 0.0}};
}

}  // namespace

SGD::SGD(const SGDOptions& options) : Optimizer("sgd", options.common(), sgd_slots(options)), options_(options) {}

void SGD::update(const Run& run, double learning_rate, std::int64_t /*step*/) {
  const detail::SgdParams k{learning_rate, options_.momentum(), run.grad_scale, options_.nesterov()};
  run.visit([&]<typename T>(T) {
    detail::sgd_update(run.param_as<T>(), run.grad_as<T>(), run.slot_as<T>(0), run.n, k);
  });
}

}  // namespace spool::autodiff
