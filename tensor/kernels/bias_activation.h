// Fused bias add + activation, the epilogue of every Dense and Conv2D layer, and its
// backward: one pass over the output instead of three (add, activate, and later the
// activation gradient and the bias gradient each read the whole tensor again).
//
//   Tensor y = bias_activation(x, bias, Activation::kRelu);      // relu(x + bias)
//   BiasActivationGrads g = bias_activation_backward(y, dy, Activation::kRelu);
//   // g.dx = dy · relu'(y);  g.dbias = sum of g.dx over every axis but the last
//
// The bias runs along the last axis (channels in NHWC, units in Dense). The backward
// reads the forward OUTPUT y, not its input: relu' = [y > 0] (0 at exactly 0, as
// TensorFlow), sigmoid' = y·(1 − y); so the layer keeps only y alive.
//
// Thread-safety: pure functions over the process-wide pool; calls may run
// concurrently on distinct outputs. Results are bitwise reproducible for a given
// thread count (the bias gradient sums per-chunk partials in chunk order).
#pragma once

#include <cstdint>
#include <string>

#include "spool/tensor/tensor.h"

namespace spool {

enum class Activation { kNone, kRelu, kSigmoid };

std::string activation_name(Activation activation);

namespace kernels {

// y[r, c] = act(x[r, c] + bias[c]) for a [rows, channels] block; bias may be null and
// y may equal x. Single-threaded: callers run it on their own row ranges.
void bias_activation_rows(const float* x, const float* bias, Activation activation, std::int64_t rows,
                          std::int64_t channels, float* y);

// The same over the process-wide pool.
void bias_activation(const float* x, const float* bias, Activation activation, std::int64_t rows,
                     std::int64_t channels, float* y);

// dx = dy · act'(y) elementwise (dx may equal dy), over the pool.
void activation_backward(const float* y, const float* dy, Activation activation, std::int64_t n, float* dx);

// dbias[c] = Σ_r dy[r, c], accumulated in double per chunk, chunks summed in order.
void bias_grad(const float* dy, std::int64_t rows, std::int64_t channels, float* dbias);

// acc[c] += Σ_r dy[r, c] in row order, single-threaded: for kernels that sum a bias
// gradient while dy is in cache for another reason (conv2d_backward_filter).
void bias_grad_rows(const float* dy, std::int64_t rows, std::int64_t channels, double* acc);


// act(x + bias) for f32 x of rank >= 1; bias is [x.dim(-1)] or undefined (no bias).
Tensor bias_activation(const Tensor& x, const Tensor& bias, Activation activation);

struct BiasActivationGrads {
  Tensor dx;     // the gradient w.r.t. the pre-activation input (and so w.r.t. x)
  Tensor dbias;  // [channels]
};

// `y` is bias_activation's output, `dy` the gradient w.r.t. it (same shape).
BiasActivationGrads bias_activation_backward(const Tensor& y, const Tensor& dy, Activation activation);

// Σ of dy over every axis but the last: the gradient of a bias added along channels.
Tensor bias_grad(const Tensor& dy);

}  // namespace kernels
}  // namespace spool
