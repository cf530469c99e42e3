#include "spool/autodiff/ops/shape.h"

#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool {
namespace {

using autodiff::GradContext;
using autodiff::Recording;

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const char* op) {
  SPOOL_CHECK(axis >= -rank && axis < rank, OutOfRange, op, ": axis ", axis, " out of range [", -rank, ", ", rank, ")");
  return axis < 0 ? axis + rank : axis;
}

}  // namespace

Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& dims) {
  SPOOL_GRAPH_OP(reshape, x, dims);
  Tensor y = x.reshape(dims);
  if (Recording rec{x}) rec.record(y, [sx = x.shape()](GradContext& g) { g.dx(0) = reshape(g.dy(), sx.dims()); });
  return y;
}

Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm) {
  SPOOL_GRAPH_OP(transpose, x, perm);
  Tensor y = x.permute(perm);
  if (Recording rec{x}) {
    std::vector<std::int64_t> inverse(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i)
      inverse[static_cast<std::size_t>(normalize_axis(perm[i], x.rank(), "transpose"))] = static_cast<std::int64_t>(i);
    rec.record(y, [inverse](GradContext& g) { g.dx(0) = transpose(g.dy(), inverse); });
  }
  return y;
}

Tensor transpose(const Tensor& x) {
  SPOOL_GRAPH_OP(transpose, x);
  SPOOL_CHECK(x.rank() == 2, InvalidArgument, "transpose: without a permutation needs a matrix, got ",
              x.shape().to_string());
  return transpose(x, {1, 0});
}

Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end, std::int64_t step) {
  SPOOL_GRAPH_OP(slice, x, axis, start, end, step);
  Tensor y = x.slice(axis, start, end, step);
  if (Recording rec{x})
    rec.record(y, [sx = x.shape(), axis, start, end, step](GradContext& g) {
      g.dx(0) = unslice(g.dy(), sx, axis, start, end, step);
    });
  return y;
}

Tensor unslice(const Tensor& dy, const Shape& shape, std::int64_t axis, std::int64_t start, std::int64_t end,
               std::int64_t step) {
  Tensor y = Tensor::zeros(shape, dy.dtype());
  Tensor window = y.slice(axis, start, end, step);
  SPOOL_CHECK(window.shape() == dy.shape(), InvalidArgument, "unslice: gradient ", dy.shape().to_string(),
              " does not fit slice ", window.shape().to_string(), " of ", shape.to_string());
  kernels::add_(window, dy);
  if (Recording rec{dy})
    rec.record(y, [axis, start, end, step](GradContext& g) { g.dx(0) = slice(g.dy(), axis, start, end, step); });
  return y;
}

Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis) {
  SPOOL_GRAPH_OP(concat, tensors, axis);
  SPOOL_CHECK(!tensors.empty(), InvalidArgument, "concat: no tensors");
  const Tensor& first = tensors.front();
  axis = normalize_axis(axis, first.rank(), "concat");
  std::vector<std::int64_t> dims = first.shape().dims();
  dims[static_cast<std::size_t>(axis)] = 0;
  std::vector<std::int64_t> starts;  // where each tensor begins along the axis
  for (const Tensor& t : tensors) {
    std::vector<std::int64_t> other = t.shape().dims();
    const bool fits = t.dtype() == first.dtype() && t.rank() == first.rank();
    if (fits) other[static_cast<std::size_t>(axis)] = first.dim(axis);
    SPOOL_CHECK(fits && Shape(other) == first.shape(), InvalidArgument, "concat: ", dtype_name(t.dtype()),
                t.shape().to_string(), " does not fit ", dtype_name(first.dtype()), first.shape().to_string(),
                " along axis ", axis);
    starts.push_back(dims[static_cast<std::size_t>(axis)]);
    dims[static_cast<std::size_t>(axis)] += t.dim(axis);
  }
  Tensor y = Tensor::zeros(Shape(dims), first.dtype());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    Tensor part = y.narrow(axis, starts[i], tensors[i].dim(axis));
    kernels::add_(part, tensors[i]);
  }
  if (Recording rec{std::span<const Tensor>(tensors)}) {
    starts.push_back(dims[static_cast<std::size_t>(axis)]);
    rec.record(y, [starts, axis](GradContext& g) {
      for (std::size_t i = 0; i < g.inputs(); ++i)
        if (g.needs(i)) g.dx(i) = slice(g.dy(), axis, starts[i], starts[i + 1]);
    });
  }
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis) {
  SPOOL_GRAPH_OP(stack, tensors, axis);
  SPOOL_CHECK(!tensors.empty(), InvalidArgument, "stack: no tensors");
  const Shape& shape = tensors.front().shape();
  const std::int64_t at = normalize_axis(axis, shape.rank() + 1, "stack");
  std::vector<std::int64_t> dims = shape.dims();
  dims.insert(dims.begin() + at, 1);
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    SPOOL_CHECK(t.shape() == shape, InvalidArgument, "stack: shapes differ: ", t.shape().to_string(), " and ",
                shape.to_string());
    parts.push_back(reshape(t, dims));
  }
  return concat(parts, at);
}

}  // namespace spool
