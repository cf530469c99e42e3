#include "spool/autodiff/ops/reduce.h"

#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/shape.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool {
namespace {

using autodiff::GradContext;
using autodiff::Recording;

// x's shape with the reduced axes kept as 1: where dy is reshaped to before it is
// broadcast back over x.
Shape kept_shape(const Shape& x, const std::vector<std::int64_t>& axes) {
  std::vector<std::int64_t> dims = x.dims();
  if (axes.empty()) return Shape(std::vector<std::int64_t>(dims.size(), 1));
  for (std::int64_t a : axes) dims[static_cast<std::size_t>(a < 0 ? a + x.rank() : a)] = 1;
  return Shape(std::move(dims));
}

// dy (reduced, with or without kept axes) broadcast back to x's shape.
Tensor spread(const Tensor& dy, const Shape& kept, const Shape& x_shape) {
  return broadcast_to(reshape(dy, kept.dims()), x_shape);
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  SPOOL_GRAPH_OP(sum, x, axes, keepdims);
  Tensor y = kernels::sum(x, axes, keepdims);
  if (Recording rec{x})
    rec.record(y, [kept = kept_shape(x.shape(), axes), sx = x.shape()](GradContext& g) {
      g.dx(0) = spread(g.dy(), kept, sx);
    });
  return y;
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  SPOOL_GRAPH_OP(mean, x, axes, keepdims);
  Tensor y = kernels::mean(x, axes, keepdims);
  if (Recording rec{x}) {
    const Shape kept = kept_shape(x.shape(), axes);
    const double count = x.numel() == 0 ? 1.0 : static_cast<double>(x.numel()) / static_cast<double>(kept.numel());
    rec.record(y,
               [kept, sx = x.shape(), count](GradContext& g) { g.dx(0) = div(spread(g.dy(), kept, sx), count); });
  }
  return y;
}

Tensor max(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  SPOOL_GRAPH_OP(max, x, axes, keepdims);
  Tensor y = kernels::max(x, axes, keepdims);
  if (Recording rec{x})
    rec.record(y, [x, y, kept = kept_shape(x.shape(), axes), axes](GradContext& g) {
      // The share of each element: 1/ties where it equals its slice's maximum, else 0.
      const Tensor hit = kernels::equal(x, y.reshape(kept.dims())).cast(x.dtype());
      const Tensor share = kernels::div(hit, kernels::sum(hit, axes, /*keepdims=*/true));
      g.dx(0) = mul(spread(g.dy(), kept, x.shape()), share);
    });
  return y;
}

}  // namespace spool
