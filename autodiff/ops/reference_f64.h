// Internal: plain f64 loops for the ops whose fast kernels are f32-only (matmul,
// conv2d, pooling), so that the f64 finite-difference gradient check runs the same
//  code. Not fast, and not meant to be: f32 training never comes here.
//
// Legend: N batch, H,W input spatial, C channels, KH,KW window, OH,OW output spatial,
// C_out filters. Layouts as the f32 kernels: NHWC activations, HWIO filters.
// Thread-safety: pure functions.
#pragma once

#include "spool/tensor/kernels/im2col.h"
#include "spool/tensor/tensor.h"

namespace spool::detail {

// op(a)[M, K] · op(b)[K, N] for f64 2-D tensors of any strides.
Tensor matmul_f64(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);

// x [N, H, W, C], filter [KH, KW, C, C_out] -> [N, OH, OW, C_out] (no bias, no activation).
Tensor conv2d_f64(const Tensor& x, const Tensor& filter, const Window2D& g);
Tensor conv2d_backward_input_f64(const Tensor& dy, const Tensor& filter, const Window2D& g);
Tensor conv2d_backward_filter_f64(const Tensor& x, const Tensor& dy, const Window2D& g, const Shape& filter_shape);

// Max pooling with the first maximum's index within its image, as max_pool2d_with_argmax.
struct MaxPoolF64 {
  Tensor output;
  Tensor argmax;
};
MaxPoolF64 max_pool2d_f64(const Tensor& x, const Window2D& g);
Tensor max_pool2d_backward_f64(const Tensor& dy, const Tensor& argmax, const Window2D& g);
Tensor avg_pool2d_f64(const Tensor& x, const Window2D& g);
Tensor avg_pool2d_backward_f64(const Tensor& dy, const Window2D& g);

}  // namespace spool::detail
