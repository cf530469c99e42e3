// Elementwise math with gradients: exp, log, sqrt, pow, abs, maximum, minimum, where,
// clip. Broadcasting and dtype rules as tensor/kernels/elementwise.h.
//
//   Tensor p = clip(probabilities, 1e-7, 1 - 1e-7);
//   Tensor l2 = sum(pow(w, 2));
//   Tensor y = where(kernels::greater(x, 0.0), x, mul(x, 0.01));  // leaky relu
//
// Gradients at the kinks follow TensorFlow: abs' = sign (0 at 0); maximum sends dy to a
// where a >= b (minimum where a <= b); clip passes dy where lo <= x <= hi; pow's
// gradient w.r.t. the exponent is taken as 0 where the base is <= 0; where's condition
// gets no gradient.
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/tensor.h"

namespace spool {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);
// cond (u8, nonzero = true) ? a : b, all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);
// min(max(x, lo), hi): composed of maximum and minimum.
Tensor clip(const Tensor& x, double lo, double hi);

}  // namespace spool
