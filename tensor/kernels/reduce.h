// Reductions over any set of axes, and sum_to: the one helper autodiff uses to
// reduce a broadcast gradient back to its operand's shape.
//
//   Tensor x = ...;                                  // [N, C] f32
//   Tensor total = sum(x);                           // [] : all axes
//   Tensor per_class = mean(x, {0});                 // [C]
//   Tensor lse = logsumexp(x, {-1}, /*keepdims=*/true);  // [N, 1]
//   Tensor label = argmax(x, 1);                     // [N] i64
//   Tensor dbias = sum_to(dy, Shape{C});             // [N, C] -> [C]
//
// Axes: negative axes count from the end; an axis given twice is an error; an EMPTY
// axes list means ALL axes (unlike NumPy's axis=(), which reduces none). keepdims
// keeps each reduced axis with extent 1.
//
// Dtypes: sum of f32/f64 keeps the dtype; sum of u8/i32/i64 gives i64 (as NumPy and
// torch, so that counting a u8 mask cannot overflow at 255), wrapping on overflow.
// mean of a float keeps its dtype, of an integer gives f64. max, min keep the dtype
// and propagate NaN; argmax gives i64 (the first index on ties, the first NaN if
// any); logsumexp takes f32/f64.
//
// Empty reductions: sum of nothing is 0, mean is NaN (0/0), logsumexp is -inf; max,
// min and argmax throw InvalidArgument naming the empty axis.
//
// Accumulation (why results are reproducible): floating sums accumulate in f64 in 8
// interleaved lanes along each run of the input (lane = position mod 8), the lanes
// combined pairwise and rounded once at the end. Work is split by output elements;
// only when the outputs are too few to occupy the threads (sum(x) of a big x) is the
// reduced range split too, the per-chunk partial sums then added in chunk order. The
// order depends on shape, strides and num_threads() only, so a result is bitwise the
// same on every run with the same thread count (and, in practice, very nearly the same
// across counts: f64 partials of f32 data).
//
// Thread-safety: calls may run concurrently; large inputs are split over the
// process-wide pool (thread_pool.h). Results are new contiguous tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::kernels {

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
// log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the max, so 1000 and
// 1000 give 1000 + log 2; a row of -inf gives -inf and a +inf gives +inf, not NaN.
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims = false);

// Sums x (the result of broadcasting something of `shape`) back to `shape`: over the
// leading axes x has in excess, and over the axes where `shape` has extent 1. A new
// tensor even when nothing is summed. InvalidArgument when `shape` does not broadcast
// to x's shape. Integer inputs give i64, as sum does.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace spool::kernels
