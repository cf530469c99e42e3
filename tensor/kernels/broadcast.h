// Broadcasting: NumPy's shape rule, and the strided loop every elementwise and
// reduction kernel walks its operands with.
//
//   Shape s = broadcast_shapes(Shape{4, 1, 3}, Shape{5, 1}, "add");  // [4, 5, 3]
//   Tensor a2 = a.broadcast_to(s), b2 = b.broadcast_to(s);
//   kernels::StridedLoop loop(s, {contiguous_strides(s), a2.strides(), b2.strides()});
//   loop.for_each_run(0, loop.numel(), [&](const std::int64_t* at, std::int64_t count) {
//     // elements at[k], at[k] + loop.inner_stride(k), ... (count of them) of operand k
//   });
//
// NumPy's rule: align shapes at their last axis; two extents fit when equal or when
// one of them is 1; a missing leading axis counts as 1. Extent 0 only fits 0 or 1.
//
// Thread-safety: pure functions; a StridedLoop is immutable after construction, so
// for_each_run may be called from many threads at once (parallel_for does).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "spool/tensor/shape.h"

namespace spool {

// The broadcast shape of a and b; InvalidArgument "<op>: cannot broadcast shapes
// [2, 3] and [4]" when they do not fit.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op = "broadcast_shapes");

// Whether `from` broadcasts to exactly `to` (Tensor::broadcast_to would succeed).
bool broadcastable_to(const Shape& from, const Shape& to);

}  // namespace spool

namespace spool::kernels {

// Visits the elements of up to kMaxOperands same-shaped strided operands in row-major
// order, as runs along the innermost axis. Axes of extent 1 are dropped and adjacent
// axes merge wherever every operand allows it, so a contiguous tensor is one run, and
// [N, C] + [C] (strides [C, 1] and [0, 1]) is N runs of C with inner strides 1 and 1.
class StridedLoop {
 public:
  static constexpr int kMaxOperands = 4;
  static constexpr int kMaxDims = 16;

  // strides[k]: operand k's strides (in elements) over `shape`, 0 on broadcast axes.
  // Throws Unimplemented when more than kMaxDims axes remain after merging.
  StridedLoop(const Shape& shape, const std::vector<std::vector<std::int64_t>>& strides);

  std::int64_t numel() const { return numel_; }
  int operands() const { return operands_; }
  // The stride of operand k along the innermost (merged) axis.
  std::int64_t inner_stride(int k) const { return strides_[static_cast<std::size_t>(k)][rank_ - 1]; }
  // Extent of the innermost merged axis (the longest possible run).
  std::int64_t inner_extent() const { return dims_[rank_ - 1]; }

  // Calls fn(offsets, count) for the runs covering row-major positions [begin, end):
  // offsets[k] is operand k's element offset at the start of the run. Runs come in
  // order; a run never crosses the innermost axis.
  template <typename Fn>
  void for_each_run(std::int64_t begin, std::int64_t end, Fn&& fn) const;

 private:
  int operands_ = 0;
  std::size_t rank_ = 1;
  std::int64_t numel_ = 1;
  std::array<std::int64_t, kMaxDims> dims_{};
  std::array<std::array<std::int64_t, kMaxDims>, kMaxOperands> strides_{};
};

template <typename Fn>
void StridedLoop::for_each_run(std::int64_t begin, std::int64_t end, Fn&& fn) const {
  end = std::min(end, numel_);
  if (begin >= end) return;
  const std::size_t inner = rank_ - 1;
  const std::int64_t extent = dims_[inner];
  std::array<std::int64_t, kMaxDims> index{};
  std::array<std::int64_t, kMaxOperands> base{};  // offsets at the start of the current row
  std::int64_t row = begin / extent;
  std::int64_t col = begin % extent;
  for (std::size_t a = inner; a-- > 0;) {
    index[a] = row % dims_[a];
    row /= dims_[a];
    for (int k = 0; k < operands_; ++k) base[k] += index[a] * strides_[k][a];
  }
  std::array<std::int64_t, kMaxOperands> at{};
  for (std::int64_t pos = begin; pos < end;) {
    const std::int64_t count = std::min(extent - col, end - pos);
    for (int k = 0; k < operands_; ++k) at[k] = base[k] + col * strides_[k][inner];
    fn(static_cast<const std::int64_t*>(at.data()), count);
    pos += count;
    col = 0;
    // Odometer over the outer axes, moving the row offsets by one step (or wrapping).
    for (std::size_t a = inner; a-- > 0;) {
      for (int k = 0; k < operands_; ++k) base[k] += strides_[k][a];
      if (++index[a] < dims_[a]) break;
      for (int k = 0; k < operands_; ++k) base[k] -= dims_[a] * strides_[k][a];
      index[a] = 0;
    }
  }
}

}  // namespace spool::kernels
