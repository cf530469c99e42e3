// gather, its adjoint scatter_add, and embedding_lookup, with gradients.
//
//   Tensor rows = gather(x, ids, /*axis=*/0);          // x[ids[...], :]
//   Tensor vectors = embedding_lookup(table, token_ids);  // [V, D], ids [B, T] -> [B, T, D]
//
// indices are i32 or i64 of any shape; out = x.shape[:axis] + indices.shape +
// x.shape[axis+1:], as tf.gather. An index outside [0, x.dim(axis)) throws OutOfRange
// quoting it. The gradient w.r.t. x is scatter_add of dy (repeated ids add up; dense,
// not TF's IndexedSlices); indices get none.
// Thread-safety: pure functions; recording goes to the calling thread's tapes.
#pragma once

#include <cstdint>

#include "spool/tensor/tensor.h"

namespace spool {

Tensor gather(const Tensor& x, const Tensor& indices, std::int64_t axis = 0);
// Zeros of `shape` plus, for every index position j, updates[.., j, ..] added at
// indices[j] along `axis`: gather's adjoint. Its gradient is gather.
Tensor scatter_add(const Tensor& updates, const Tensor& indices, const Shape& shape, std::int64_t axis = 0);
// table [V, D], ids (i32/i64) of any shape -> ids.shape + [D].
Tensor embedding_lookup(const Tensor& table, const Tensor& ids);

}  // namespace spool
