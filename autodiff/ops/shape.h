// Shape ops with gradients: reshape, transpose, slice, concat, stack.
//
//   Tensor flat = reshape(images, {-1, 784});
//   Tensor xt = transpose(x, {1, 0});
//   Tensor head = slice(x, /*axis=*/1, 0, 16);        // columns [0, 16)
//   Tensor both = concat({a, b}, /*axis=*/-1);
//   Tensor batch = stack({x0, x1, x2}, 0);           // a new leading axis
//
// reshape, transpose and slice return views when Tensor's own methods do (reshape of a
// non-contiguous tensor copies); concat and stack copy. Each gradient is the inverse
// op: reshape back, the inverse permutation, unslice (dy written into zeros), slices
// of dy. Any dtype goes forward; only f32/f64 are recorded.
// Thread-safety: pure functions; recording goes to the calling thread's tapes.
#pragma once

#include <cstdint>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool {

Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& dims);
// perm lists the input axis of each output axis; the 1-argument form swaps a matrix.
Tensor transpose(const Tensor& x, const std::vector<std::int64_t>& perm);
Tensor transpose(const Tensor& x);
// Elements start, start + step, ... below end along `axis`, as Tensor::slice.
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end, std::int64_t step = 1);
// Zeros of `shape` with dy at the positions slice(axis, start, end, step) selects:
// slice's gradient, whose own gradient is slice.
Tensor unslice(const Tensor& dy, const Shape& shape, std::int64_t axis, std::int64_t start, std::int64_t end,
               std::int64_t step = 1);
// Along an existing axis; every tensor has the same dtype, rank and other extents.
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis);
// Along a new axis (in [-rank - 1, rank]); every tensor has the same shape.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis = 0);

}  // namespace spool
