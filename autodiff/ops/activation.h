// Activations with gradients: relu, sigmoid, tanh, softmax, log_softmax (last axis).
//
//   Tensor h = relu(add(matmul(x, w), b));
//   Tensor logp = log_softmax(logits);            // [N, classes]
//
// Each gradient reads the forward OUTPUT (relu' = [y > 0], sigmoid' = y(1 − y),
// tanh' = 1 − y², softmax/log_softmax as tensor/kernels/softmax.h), so only y is kept.
// f32 softmax/log_softmax run on the fused kernel; f64 is composed from elementwise
// kernels. With no tape recording during the backward sweep, the f32 gradients use the
// fused backward kernels; otherwise they are composed of ops so that an outer tape can
// differentiate them again.
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/tensor.h"

namespace spool {

Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

namespace detail {
// dy · act'(y) from the forward output y, not recorded: the fused kernel for f32, an
// elementwise product for f64. Activation::kNone gives dy.
Tensor activation_gradient(const Tensor& y, const Tensor& dy, Activation activation);
}  // namespace detail

}  // namespace spool
