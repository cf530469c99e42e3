// sparse_softmax_cross_entropy: −log softmax(logits)[label] per row as ONE recorded op,
// as tf.nn.sparse_softmax_cross_entropy_with_logits — the loss of every classifier.
//
//   Tensor per_example = sparse_softmax_cross_entropy(logits, labels);  // [N]
//   // logits [N, C] f32/f64, labels [N] i32/i64 (or f32/f64 holding integers)
//
// Why fused: the composed path (log_softmax, a one-hot product, a sum) makes three
// [N, C] temporaries and three backward nodes; here the forward keeps the softmax
// probabilities p (one pass per row: max, Σ exp, log) and the gradient is
// dlogits = (p − onehot(label)) · dy[n]. When a tape records during the sweep (second
// derivatives) the gradient is composed of softmax instead.
// A label outside [0, C) throws OutOfRange quoting it and its row.
// Thread-safety: pure; recording goes to the calling thread's tapes.
#pragma once

#include <cstdint>

#include "spool/tensor/tensor.h"

namespace spool {

Tensor sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels);

// labels as i64 [N], checked against `classes` (for the loss and the metrics).
Tensor sparse_labels(const Tensor& labels, std::int64_t rows, std::int64_t classes, const char* who);

}  // namespace spool
