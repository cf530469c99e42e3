#include "spool/autodiff/ops/math.h"

#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool {

using autodiff::GradContext;
using autodiff::Recording;

Tensor exp(const Tensor& x) {
  SPOOL_GRAPH_OP(exp, x);
  Tensor y = kernels::exp(x);
  if (Recording rec{x}) rec.record(y, [y](GradContext& g) { g.dx(0) = mul(g.dy(), y); });
  return y;
}

Tensor log(const Tensor& x) {
  SPOOL_GRAPH_OP(log, x);
  Tensor y = kernels::log(x);
  if (Recording rec{x}) rec.record(y, [x](GradContext& g) { g.dx(0) = div(g.dy(), x); });
  return y;
}

Tensor sqrt(const Tensor& x) {
  SPOOL_GRAPH_OP(sqrt, x);
  Tensor y = kernels::sqrt(x);
  if (Recording rec{x}) rec.record(y, [y](GradContext& g) { g.dx(0) = div(g.dy(), mul(y, 2.0)); });
  return y;
}

Tensor abs(const Tensor& x) {
  SPOOL_GRAPH_OP(abs, x);
  Tensor y = kernels::abs(x);
  if (Recording rec{x}) rec.record(y, [x](GradContext& g) { g.dx(0) = mul(g.dy(), kernels::sign(x)); });
  return y;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(pow, a, b);
  Tensor y = kernels::pow(a, b);
  if (Recording rec{a, b})
    rec.record(y, [a, b, y](GradContext& g) {  // d(a^b) = b·a^(b−1) da + a^b·ln(a) db
      if (g.needs(0)) g.dx(0) = sum_to(mul(g.dy(), mul(b, pow(a, sub(b, 1.0)))), a.shape());
      if (g.needs(1)) {
        const Tensor positive = kernels::greater(a, 0.0);
        const Tensor log_a = where(positive, log(where(positive, a, 1.0)), 0.0);
        g.dx(1) = sum_to(mul(g.dy(), mul(y, log_a)), b.shape());
      }
    });
  return y;
}

Tensor pow(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(pow, a, b);
  Tensor y = kernels::pow(a, b);
  if (Recording rec{a})
    rec.record(y, [a, b](GradContext& g) { g.dx(0) = mul(g.dy(), mul(pow(a, b - 1.0), b)); });
  return y;
}

namespace {

// maximum and minimum: dy goes to a where `a_wins` (a >= b, or a <= b), else to b.
Tensor select_binary(const Tensor& a, const Tensor& b, const Tensor& y, const Tensor& a_wins) {
  if (Recording rec{a, b})
    rec.record(y, [a_wins, sa = a.shape(), sb = b.shape()](GradContext& g) {
      if (g.needs(0)) g.dx(0) = sum_to(where(a_wins, g.dy(), 0.0), sa);
      if (g.needs(1)) g.dx(1) = sum_to(where(a_wins, 0.0, g.dy()), sb);
    });
  return y;
}

Tensor select_scalar(const Tensor& a, const Tensor& y, const Tensor& a_wins) {
  if (Recording rec{a}) rec.record(y, [a_wins](GradContext& g) { g.dx(0) = where(a_wins, g.dy(), 0.0); });
  return y;
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(maximum, a, b);
  return select_binary(a, b, kernels::maximum(a, b), kernels::greater_equal(a, b));
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(minimum, a, b);
  return select_binary(a, b, kernels::minimum(a, b), kernels::less_equal(a, b));
}
Tensor maximum(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(maximum, a, b);
  return select_scalar(a, kernels::maximum(a, b), kernels::greater_equal(a, b));
}
Tensor minimum(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(minimum, a, b);
  return select_scalar(a, kernels::minimum(a, b), kernels::less_equal(a, b));
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(where, cond, a, b);
  Tensor y = kernels::where(cond, a, b);
  if (Recording rec{a, b})
    rec.record(y, [cond, sa = a.shape(), sb = b.shape()](GradContext& g) {
      if (g.needs(0)) g.dx(0) = sum_to(where(cond, g.dy(), 0.0), sa);
      if (g.needs(1)) g.dx(1) = sum_to(where(cond, 0.0, g.dy()), sb);
    });
  return y;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) {
  SPOOL_GRAPH_OP(where, cond, a, b);
  Tensor y = kernels::where(cond, a, b);
  if (Recording rec{a})
    rec.record(y, [cond, sa = a.shape()](GradContext& g) { g.dx(0) = sum_to(where(cond, g.dy(), 0.0), sa); });
  return y;
}

Tensor where(const Tensor& cond, double a, const Tensor& b) {
  SPOOL_GRAPH_OP(where, cond, a, b);
  Tensor y = kernels::where(cond, a, b);
  if (Recording rec{b})
    rec.record(y, [cond, sb = b.shape()](GradContext& g) { g.dx(0) = sum_to(where(cond, 0.0, g.dy()), sb); });
  return y;
}

Tensor clip(const Tensor& x, double lo, double hi) {
  SPOOL_GRAPH_OP(clip, x, lo, hi);
  SPOOL_CHECK(lo <= hi, InvalidArgument, "clip: lo ", lo, " > hi ", hi);
  return minimum(maximum(x, lo), hi);
}

}  // namespace spool
