#include "spool/autodiff/ops/arithmetic.h"

#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool {

using autodiff::GradContext;
using autodiff::Recording;

Tensor add(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(add, a, b);
  Tensor y = kernels::add(a, b);
  if (Recording rec{a, b})
    rec.record(y, [sa = a.shape(), sb = b.shape()](GradContext& g) {
      if (g.needs(0)) g.dx(0) = sum_to(g.dy(), sa);
      if (g.needs(1)) g.dx(1) = sum_to(g.dy(), sb);
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(sub, a, b);
  Tensor y = kernels::sub(a, b);
  if (Recording rec{a, b})
    rec.record(y, [sa = a.shape(), sb = b.shape()](GradContext& g) {
      if (g.needs(0)) g.dx(0) = sum_to(g.dy(), sa);
      if (g.needs(1)) g.dx(1) = neg(sum_to(g.dy(), sb));
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(mul, a, b);
  Tensor y = kernels::mul(a, b);
  if (Recording rec{a, b})
    rec.record(y, [a, b](GradContext& g) {
      if (g.needs(0)) g.dx(0) = sum_to(mul(g.dy(), b), a.shape());
      if (g.needs(1)) g.dx(1) = sum_to(mul(g.dy(), a), b.shape());
    });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  SPOOL_GRAPH_OP(div, a, b);
  Tensor y = kernels::div(a, b);
  if (Recording rec{a, b})
    rec.record(y, [a, b](GradContext& g) {  // d(a/b) = da / b − a·db / b²
      if (g.needs(0)) g.dx(0) = sum_to(div(g.dy(), b), a.shape());
      if (g.needs(1)) g.dx(1) = sum_to(neg(div(mul(g.dy(), a), mul(b, b))), b.shape());
    });
  return y;
}

Tensor neg(const Tensor& x) {
  SPOOL_GRAPH_OP(neg, x);
  Tensor y = kernels::neg(x);
  if (Recording rec{x}) rec.record(y, [](GradContext& g) { g.dx(0) = neg(g.dy()); });
  return y;
}

Tensor add(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(add, a, b);
  Tensor y = kernels::add(a, b);
  if (Recording rec{a}) rec.record(y, [](GradContext& g) { g.dx(0) = g.dy(); });
  return y;
}

Tensor sub(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(sub, a, b);
  Tensor y = kernels::sub(a, b);
  if (Recording rec{a}) rec.record(y, [](GradContext& g) { g.dx(0) = g.dy(); });
  return y;
}

Tensor sub(double a, const Tensor& b) {
  SPOOL_GRAPH_OP(sub, a, b);
  Tensor y = kernels::sub(a, b);
  if (Recording rec{b}) rec.record(y, [](GradContext& g) { g.dx(0) = neg(g.dy()); });
  return y;
}

Tensor mul(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(mul, a, b);
  Tensor y = kernels::mul(a, b);
  if (Recording rec{a}) rec.record(y, [b](GradContext& g) { g.dx(0) = mul(g.dy(), b); });
  return y;
}

Tensor div(const Tensor& a, double b) {
  SPOOL_GRAPH_OP(div, a, b);
  Tensor y = kernels::div(a, b);
  if (Recording rec{a}) rec.record(y, [b](GradContext& g) { g.dx(0) = div(g.dy(), b); });
  return y;
}

Tensor div(double a, const Tensor& b) {
  SPOOL_GRAPH_OP(div, a, b);
  Tensor y = kernels::div(a, b);
  if (Recording rec{b})
    rec.record(y, [a, b](GradContext& g) { g.dx(0) = neg(div(mul(g.dy(), a), mul(b, b))); });
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  SPOOL_GRAPH_OP(sum_to, x, shape);
  if (x.shape() == shape) return x;
  Tensor y = kernels::sum_to(x, shape);
  if (Recording rec{x}) rec.record(y, [sx = x.shape()](GradContext& g) { g.dx(0) = broadcast_to(g.dy(), sx); });
  return y;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  SPOOL_GRAPH_OP(broadcast_to, x, shape);
  if (x.shape() == shape) return x;
  Tensor y = x.broadcast_to(shape);
  if (Recording rec{x}) rec.record(y, [sx = x.shape()](GradContext& g) { g.dx(0) = sum_to(g.dy(), sx); });
  return y;
}

}  // namespace spool
