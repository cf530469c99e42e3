#include "spool/autodiff/ops/compare.h"

#include "spool/autodiff/graph/trace.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool {

// Each comparison, for a tensor or a scalar right side: the kernel, as a node when traced.
#define SPOOL_COMPARISON(name)                      \
  Tensor name(const Tensor& a, const Tensor& b) {   \
    SPOOL_GRAPH_OP(kernels::name, a, b);            \
    return kernels::name(a, b);                     \
  }                                                 \
  Tensor name(const Tensor& a, double b) {          \
    SPOOL_GRAPH_OP(kernels::name, a, b);            \
    return kernels::name(a, b);                     \
  }

SPOOL_COMPARISON(equal)
SPOOL_COMPARISON(not_equal)
SPOOL_COMPARISON(less)
SPOOL_COMPARISON(less_equal)
SPOOL_COMPARISON(greater)
SPOOL_COMPARISON(greater_equal)

#undef SPOOL_COMPARISON

Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims) {
  SPOOL_GRAPH_OP(kernels::argmax, x, axis, keepdims);
  return kernels::argmax(x, axis, keepdims);
}

}  // namespace spool
