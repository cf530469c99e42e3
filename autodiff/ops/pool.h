// Max and average pooling (NHWC) with gradients.
//
//   Tensor y = max_pool2d(x, Pool2DOptions(2));        // 2×2 window, stride 2
//   Tensor a = avg_pool2d(x, Pool2DOptions(3).stride(1).padding(Padding::kSame));
//
// Semantics of tensor/kernels/pool2d.h: max's gradient goes to the first maximum of
// each window (its argmax is kept from the forward pass: as a 1-byte position within
// the window when windows never overlap, Keras' default stride = window, otherwise an
// 8-byte index); avg's is spread over the input pixels under the window. f32 on the kernels, f64 on plain loops.
// Second derivatives through pooling are not implemented (Unimplemented, as conv2d).
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/kernels/pool2d.h"
#include "spool/tensor/tensor.h"

namespace spool {

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options);
Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options);

}  // namespace spool
