#include "spool/autodiff/optim/clip.h"

#include <algorithm>
#include <cmath>

#include "spool/autodiff/optim/detail/update_kernels.h"
#include "spool/autodiff/ops/arithmetic.h"

namespace spool::autodiff {
namespace {

double sum_squares(const Tensor& t) {
  SPOOL_CHECK(t.dtype() == DType::kF32 || t.dtype() == DType::kF64, InvalidArgument,
              "global_norm: needs f32 or f64 tensors, got ", dtype_name(t.dtype()));
  const Tensor c = t.contiguous();
  if (c.dtype() == DType::kF32) return detail::sum_squares(c.data<float>(), c.numel());
  return detail::sum_squares(c.data<double>(), c.numel());
}

void check_max_norm(const char* op, double max_norm) {
  SPOOL_CHECK(max_norm > 0, InvalidArgument, op, ": max_norm must be > 0, got ", max_norm);
}

}  // namespace

double global_norm(std::span<const Tensor> tensors) {
  double total = 0;
  for (const Tensor& t : tensors)
    if (t.defined()) total += sum_squares(t);
  return std::sqrt(total);
}

double clip_by_global_norm(std::vector<Tensor>& grads, double max_norm) {
  check_max_norm("clip_by_global_norm", max_norm);
  const double norm = global_norm(grads);
  if (norm <= max_norm) return norm;
  const double scale = max_norm * std::min(1.0 / norm, 1.0 / max_norm) + (norm - norm);
  for (Tensor& g : grads)
    if (g.defined()) g = mul(g, scale);
  return norm;
}

Tensor clip_by_norm(const Tensor& t, double max_norm) {
  check_max_norm("clip_by_norm", max_norm);
  const double norm = std::sqrt(sum_squares(t));
  if (norm <= max_norm) return t;
  return div(mul(t, max_norm), norm);  // Keras' order: t * max_norm / norm
}

}  // namespace spool::autodiff
