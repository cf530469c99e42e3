// Comparisons and argmax in the ops vocabulary: their outputs are u8 masks and i64
// indices, which no tape tracks (TensorFlow gives them no gradient either), so the
// kernels themselves serve here; there is nothing to record.
//
//   Tensor correct = equal(argmax(logits, -1), labels);   // u8 0/1
//   Tensor y = where(greater(x, 0.0), x, x * 0.1);        // where records; the mask does not
//
// Thread-safety: as the kernels.
#pragma once

#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool {

using kernels::argmax;
using kernels::equal;
using kernels::greater;
using kernels::greater_equal;
using kernels::less;
using kernels::less_equal;
using kernels::not_equal;

}  // namespace spool
