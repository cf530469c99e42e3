// conv2d (NHWC activations, HWIO filters) with gradients w.r.t. input, filter and bias.
//
//   Tensor y = conv2d(x, w, b, Conv2DOptions().padding(Padding::kSame)
//                                                  .activation(Activation::kRelu));
//   // x [N, H, W, C_in], w [KH, KW, C_in, C_out], b [C_out] or undefined -> [N, OH, OW, C_out]
//
// f32 runs on tensor/kernels/conv2d.h, forward with the bias and activation fused and
// backward on conv2d_backward_input / conv2d_backward_filter_and_bias (one pass over dy
// for the filter and the bias); f64 on plain loops (gradient checks). The activation's
// gradient is taken from the output, so only x, w and y are kept.
// Second derivatives through conv2d are not implemented: an outer tape that needs one
// gets Unimplemented from its gradient() call.
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/kernels/conv2d.h"
#include "spool/tensor/tensor.h"

namespace spool {

Tensor conv2d(const Tensor& input, const Tensor& filter, const Conv2DOptions& options = {});
Tensor conv2d(const Tensor& input, const Tensor& filter, const Tensor& bias, const Conv2DOptions& options = {});

}  // namespace spool
