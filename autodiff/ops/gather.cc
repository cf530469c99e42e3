#include "spool/autodiff/ops/gather.h"

#include <cstring>

#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"

namespace spool {
namespace {

using autodiff::GradContext;
using autodiff::Recording;

// x viewed as [outer, n, inner] around `axis`; the indices flattened, checked.
struct GatherGeometry {
  std::int64_t outer = 1, n = 0, inner = 1;
  std::vector<std::int64_t> index;
  std::vector<std::int64_t> out_dims;  // x.shape[:axis] + indices.shape + x.shape[axis+1:]
};

GatherGeometry geometry(const Shape& x, const Tensor& indices, std::int64_t& axis, const char* op) {
  SPOOL_CHECK(x.rank() >= 1 && axis >= -x.rank() && axis < x.rank(), OutOfRange, op, ": axis ", axis,
              " out of range for shape ", x.to_string());
  if (axis < 0) axis += x.rank();
  SPOOL_CHECK(indices.defined() && (indices.dtype() == DType::kI32 || indices.dtype() == DType::kI64), InvalidArgument,
              op, ": indices must be i32 or i64, got ",
              indices.defined() ? std::string(dtype_name(indices.dtype())) : "undefined");
  GatherGeometry g;
  g.n = x[axis];
  for (std::int64_t a = 0; a < axis; ++a) g.outer *= x[a];
  for (std::int64_t a = axis + 1; a < x.rank(); ++a) g.inner *= x[a];
  const Tensor idx = indices.cast(DType::kI64);
  g.index = idx.to_vector<std::int64_t>();
  for (std::size_t j = 0; j < g.index.size(); ++j)
    SPOOL_CHECK(g.index[j] >= 0 && g.index[j] < g.n, OutOfRange, op, ": index ", g.index[j], " (at position ", j,
                ") out of range [0, ", g.n, ") for axis ", axis, " of ", x.to_string());
  g.out_dims.assign(x.dims().begin(), x.dims().begin() + axis);
  g.out_dims.insert(g.out_dims.end(), indices.shape().dims().begin(), indices.shape().dims().end());
  g.out_dims.insert(g.out_dims.end(), x.dims().begin() + axis + 1, x.dims().end());
  return g;
}

}  // namespace

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis) {
  SPOOL_GRAPH_OP(gather, x, indices, axis);
  const GatherGeometry g = geometry(x.shape(), indices, axis, "gather");
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(Shape(g.out_dims), x.dtype());
  const auto m = static_cast<std::int64_t>(g.index.size());
  const std::size_t row_bytes = static_cast<std::size_t>(g.inner) * x.element_size();
  const auto* src = static_cast<const std::byte*>(xc.raw_data());
  auto* dst = static_cast<std::byte*>(y.raw_data());
  for (std::int64_t o = 0; o < g.outer; ++o)
    for (std::int64_t j = 0; j < m; ++j)
      std::memcpy(dst + static_cast<std::size_t>(o * m + j) * row_bytes,
                  src + static_cast<std::size_t>(o * g.n + g.index[static_cast<std::size_t>(j)]) * row_bytes,
                  row_bytes);
  if (Recording rec{x, indices})
    rec.record(y, [indices, sx = x.shape(), axis](GradContext& g2) {
      if (g2.needs(0)) g2.dx(0) = scatter_add(g2.dy(), indices, sx, axis);
    });
  return y;
}

Tensor scatter_add(const Tensor& updates, const Tensor& indices, const Shape& shape, std::int64_t axis) {
  SPOOL_GRAPH_OP(scatter_add, updates, indices, shape, axis);
  const GatherGeometry g = geometry(shape, indices, axis, "scatter_add");
  SPOOL_CHECK(updates.shape() == Shape(g.out_dims), InvalidArgument, "scatter_add: updates ",
              updates.shape().to_string(), " do not match ", Shape(g.out_dims).to_string(), " (shape ",
              shape.to_string(), ", indices ", indices.shape().to_string(), ")");
  Tensor y = Tensor::zeros(shape, updates.dtype());
  const Tensor u = updates.contiguous();
  const auto m = static_cast<std::int64_t>(g.index.size());
  visit_dtype(updates.dtype(), [&]<typename T>() {
    const T* src = u.data<T>();
    T* dst = y.data<T>();
    for (std::int64_t o = 0; o < g.outer; ++o)
      for (std::int64_t j = 0; j < m; ++j) {
        T* row = dst + (o * g.n + g.index[static_cast<std::size_t>(j)]) * g.inner;
        const T* from = src + (o * m + j) * g.inner;
        for (std::int64_t i = 0; i < g.inner; ++i) row[i] += from[i];
      }
  });
  if (Recording rec{updates, indices})
    rec.record(y, [indices, axis](GradContext& g2) {
      if (g2.needs(0)) g2.dx(0) = gather(g2.dy(), indices, axis);
    });
  return y;
}

Tensor embedding_lookup(const Tensor& table, const Tensor& ids) {
  SPOOL_GRAPH_OP(embedding_lookup, table, ids);
  SPOOL_CHECK(table.rank() == 2, InvalidArgument, "embedding_lookup: table must be [vocabulary, dim], got ",
              table.shape().to_string());
  return gather(table, ids, 0);
}

}  // namespace spool
