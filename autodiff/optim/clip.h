// Gradient clipping by norm, as TensorFlow's tf.linalg.global_norm,
// tf.clip_by_global_norm and tf.clip_by_norm.
//
//   std::vector<Tensor> grads = tape.gradient(loss, vars);
//   double norm = autodiff::clip_by_global_norm(grads, 5.0);   // grads now scaled
//   optimizer.apply_gradients(grads, vars);
//
// The optimizers' clipnorm / global_clipnorm options (optimizer.h) do the same inside
// the update loop without copies; these functions are for loops that want the norm or
// the clipped tensors themselves. They run no op, so no tape records them.
// Thread-safety: free functions without shared state.
#pragma once

#include <span>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::autodiff {

// sqrt of the sum of squares of every element of every defined tensor (f32/f64,
// accumulated in f64); undefined tensors are skipped, as TF skips None.
double global_norm(std::span<const Tensor> tensors);

// Scales every defined tensor by max_norm / max(global_norm, max_norm) — NaN when the
// norm is not finite, as TF — and returns the global norm before clipping. Each
// grads[i] is replaced by a new scaled tensor (a tape's gradients may share bytes or
// be read-only broadcast views, so they are never written into); nothing changes when
// the norm is within max_norm. Throws InvalidArgument for max_norm <= 0.
double clip_by_global_norm(std::vector<Tensor>& grads, double max_norm);

// t * max_norm / max(norm(t), max_norm): t itself when its norm is within max_norm.
Tensor clip_by_norm(const Tensor& t, double max_norm);

}  // namespace spool::autodiff
