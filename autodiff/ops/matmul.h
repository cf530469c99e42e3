// Matrix product with optional transposes, recorded on the active tapes.
//
//   Tensor y = matmul(x, w);                    // [N, K] · [K, M] -> [N, M]
//   Tensor z = matmul(a, b, false, true);       // a · bᵀ
//
// f32 runs on the SGEMM kernel (tensor/kernels/gemm.h), which reads transposed views
// in place; f64 on a plain loop (for gradient checks). The gradients are matmuls with
// the transposes rearranged (TF's MatMul gradient), so no operand is copied to be
// transposed.
// Thread-safety: as the kernel; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/tensor.h"

namespace spool {

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace spool
