// Reductions with gradients: sum, mean, max over axes, with keepdims.
//
//   Tensor loss = mean(per_example);                 // all axes -> []
//   Tensor per_row = sum(x, {-1}, /*keepdims=*/true); // [N, 1]
//
// Axes as tensor/kernels/reduce.h: negative from the end, an EMPTY list means all.
// The gradient of sum broadcasts dy back over the reduced axes; mean divides it by the
// count; max sends it to the maxima, shared equally among ties (as TensorFlow).
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include <cstdint>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool {

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, const std::vector<std::int64_t>& axes = {}, bool keepdims = false);

}  // namespace spool
