// Comparisons and argmax in the ops vocabulary: their outputs are u8 masks and i64
// indices, which no tape tracks (TensorFlow gives them no gradient either), so there
// is nothing to record on a tape; they are ops only so that a traced function
// (graph/function.h) recomputes them at each replay.
//
//   Tensor correct = equal(argmax(logits, -1), labels);   // u8 0/1
//   Tensor y = where(greater(x, 0.0), x, x * 0.1);        // where records; the mask does not
//
// Thread-safety: as the kernels.
#pragma once

#include <cstdint>

#include "spool/tensor/tensor.h"

namespace spool {

Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, double b);
Tensor not_equal(const Tensor& a, double b);
Tensor less(const Tensor& a, double b);
Tensor less_equal(const Tensor& a, double b);
Tensor greater(const Tensor& a, double b);
Tensor greater_equal(const Tensor& a, double b);
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims = false);

}  // namespace spool
