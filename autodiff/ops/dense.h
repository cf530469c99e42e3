// dense: matmul, bias and activation as ONE recorded op — the forward and backward of
// every Dense layer, without the two temporaries (x·w, then + b) and the extra passes
// that relu(add(matmul(x, w), b)) makes and keeps.
//
//   Tensor h = dense(x, w, b, Activation::kRelu);   // relu(x·w + b)
//   // x [N, K], w [K, M], b [M] or undefined -> [N, M]
//
// f32 runs sgemm, then bias_activation in place on its output (one pass); f64 the
// reference loop (gradient checks). The backward reads only x, w and the output y:
// dpre = dy · act'(y), dx = dpre·wᵀ, dw = xᵀ·dpre, db = Σ_N dpre — on the fused kernels
// when no tape records, composed of ops otherwise, so nested tapes still get second
// derivatives.
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/tensor.h"

namespace spool {

Tensor dense(const Tensor& x, const Tensor& w, const Tensor& bias, Activation activation = Activation::kNone);

}  // namespace spool
