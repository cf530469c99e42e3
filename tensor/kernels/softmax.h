// Softmax and log-softmax over the last axis, numerically stable, with their backward.
//
//   Tensor p = softmax(logits);                  // [batch, classes], rows sum to 1
//   Tensor dlogits = softmax_backward(p, dp);    // dp: the gradient w.r.t. p
//   Tensor lp = log_softmax(logits);             // log_softmax([1000, 1000]) = [−log 2, −log 2]
//   Tensor d = log_softmax_backward(lp, dlp);
//
// Both subtract the row maximum before exponentiating, so large logits do not
// overflow. The backward passes take the forward OUTPUT (like bias_activation):
//   softmax:     dx = y · (dy − Σ_c dy·y)
//   log_softmax: dx = dy − exp(y) · Σ_c dy
//
// Thread-safety: pure functions split by rows over the process-wide pool; calls may run
// concurrently on distinct outputs; each row is computed by one thread in a fixed
// order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "spool/tensor/tensor.h"

namespace spool {

namespace kernels {

// [rows, cols] row-major; y may equal x, dx may equal dy.
void softmax(const float* x, std::int64_t rows, std::int64_t cols, float* y);
void log_softmax(const float* x, std::int64_t rows, std::int64_t cols, float* y);
void softmax_backward(const float* y, const float* dy, std::int64_t rows, std::int64_t cols, float* dx);
void log_softmax_backward(const float* y, const float* dy, std::int64_t rows, std::int64_t cols, float* dx);


// f32 tensors of rank >= 1 (any strides); the result is a new contiguous tensor.
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);
// `y` is the forward output, `dy` the gradient w.r.t. it; both of one shape.
Tensor softmax_backward(const Tensor& y, const Tensor& dy);
Tensor log_softmax_backward(const Tensor& y, const Tensor& dy);

}  // namespace kernels
}  // namespace spool
