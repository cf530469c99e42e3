#include "spool/tensor/kernels/broadcast.h"

#include "spool/tensor/error.h"

namespace spool {

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const std::size_t ra = a.dims().size();
  const std::size_t rb = b.dims().size();
  const std::size_t r = std::max(ra, rb);
  std::vector<std::int64_t> dims(r);
  for (std::size_t i = 0; i < r; ++i) {
    // Counted from the last axis: a missing leading axis is an extent of 1.
    const std::int64_t da = i < ra ? a.dims()[ra - 1 - i] : 1;
    const std::int64_t db = i < rb ? b.dims()[rb - 1 - i] : 1;
    SPOOL_CHECK(da == db || da == 1 || db == 1, InvalidArgument, op, ": cannot broadcast shapes ", a.to_string(),
                " and ", b.to_string());
    dims[r - 1 - i] = da == 1 ? db : da;
  }
  return Shape(std::move(dims));
}

bool broadcastable_to(const Shape& from, const Shape& to) {
  const std::size_t rf = from.dims().size();
  const std::size_t rt = to.dims().size();
  if (rf > rt) return false;
  for (std::size_t i = 0; i < rf; ++i) {
    const std::int64_t f = from.dims()[rf - 1 - i];
    if (f != 1 && f != to.dims()[rt - 1 - i]) return false;
  }
  return true;
}

}  // namespace spool

namespace spool::kernels {

StridedLoop::StridedLoop(const Shape& shape, const std::vector<std::vector<std::int64_t>>& strides)
    : operands_(static_cast<int>(strides.size())), numel_(shape.numel()) {
  SPOOL_CHECK(operands_ >= 1 && operands_ <= kMaxOperands, InternalError, "StridedLoop: ", operands_,
              " operands, expected 1 to ", kMaxOperands);
  for (const auto& s : strides)
    SPOOL_CHECK(s.size() == shape.dims().size(), InternalError, "StridedLoop: ", s.size(),
                " strides for shape ", shape.to_string());
  // Merge from the innermost axis outwards; `rank` counts merged axes stored in
  // reverse (innermost first) until the flip at the end.
  std::size_t rank = 0;
  for (std::size_t a = shape.dims().size(); a-- > 0;) {
    const std::int64_t extent = shape.dims()[a];
    if (extent == 1) continue;  // its strides never matter
    bool merges = rank > 0;
    for (int k = 0; k < operands_ && merges; ++k)
      merges = strides[k][a] == strides_[k][rank - 1] * dims_[rank - 1];
    if (merges) {
      dims_[rank - 1] *= extent;
      continue;
    }
    SPOOL_CHECK(rank < kMaxDims, Unimplemented, "StridedLoop: shape ", shape.to_string(), " with these strides needs more than ",
                kMaxDims, " loop axes");
    dims_[rank] = extent;
    for (int k = 0; k < operands_; ++k) strides_[k][rank] = strides[k][a];
    ++rank;
  }
  if (rank == 0) {  // a scalar, or all extents 1: one run of one element
    dims_[0] = 1;
    rank = 1;
  }
  rank_ = rank;
  std::reverse(dims_.begin(), dims_.begin() + static_cast<std::ptrdiff_t>(rank));
  for (int k = 0; k < operands_; ++k)
    std::reverse(strides_[k].begin(), strides_[k].begin() + static_cast<std::ptrdiff_t>(rank));
}

}  // namespace spool::kernels
