// R rows (every axis but the last, flattened), C classes (the last axis).
#include "spool/tensor/kernels/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "spool/tensor/thread_pool.h"

namespace spool {

namespace kernels {

namespace {

constexpr std::int64_t kGrainFloats = 1 << 13;

template <typename RowFn>
void for_rows(std::int64_t rows, std::int64_t cols, RowFn&& fn) {
  parallel_for(rows, std::max<std::int64_t>(1, kGrainFloats / std::max<std::int64_t>(cols, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) fn(r * cols);
               });
}

float row_max(const float* x, std::int64_t cols) {
  float m = -std::numeric_limits<float>::infinity();
  for (std::int64_t c = 0; c < cols; ++c) m = std::max(m, x[c]);
  return m;
}

// Σ exp(x − m), storing each term in out when out is not null.
double exp_sum(const float* x, std::int64_t cols, float m, float* out) {
  double sum = 0;
  for (std::int64_t c = 0; c < cols; ++c) {
    const float e = std::exp(x[c] - m);
    if (out) out[c] = e;
    sum += e;
  }
  return sum;
}

}  // namespace

void softmax(const float* x, std::int64_t rows, std::int64_t cols, float* y) {
  for_rows(rows, cols, [&](std::int64_t at) {
    const float* xr = x + at;
    float* yr = y + at;
    const double sum = exp_sum(xr, cols, row_max(xr, cols), yr);
    const float inv = static_cast<float>(1.0 / sum);
    for (std::int64_t c = 0; c < cols; ++c) yr[c] *= inv;
  });
}

void log_softmax(const float* x, std::int64_t rows, std::int64_t cols, float* y) {
  for_rows(rows, cols, [&](std::int64_t at) {
    const float* xr = x + at;
    float* yr = y + at;
    const float m = row_max(xr, cols);
    const double sum = exp_sum(xr, cols, m, nullptr);
    // (x − m) − log Σ, not x − (m + log Σ): m + log Σ would round to m's precision.
    const float log_sum = static_cast<float>(std::log(sum));
    for (std::int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - m) - log_sum;
  });
}

void softmax_backward(const float* y, const float* dy, std::int64_t rows, std::int64_t cols, float* dx) {
  for_rows(rows, cols, [&](std::int64_t at) {
    double dot = 0;
    for (std::int64_t c = 0; c < cols; ++c) dot += static_cast<double>(dy[at + c]) * y[at + c];
    const float d = static_cast<float>(dot);
    for (std::int64_t c = 0; c < cols; ++c) dx[at + c] = y[at + c] * (dy[at + c] - d);
  });
}

void log_softmax_backward(const float* y, const float* dy, std::int64_t rows, std::int64_t cols, float* dx) {
  for_rows(rows, cols, [&](std::int64_t at) {
    double sum = 0;
    for (std::int64_t c = 0; c < cols; ++c) sum += dy[at + c];
    const float s = static_cast<float>(sum);
    for (std::int64_t c = 0; c < cols; ++c) dx[at + c] = dy[at + c] - std::exp(y[at + c]) * s;
  });
}


namespace {

void check_f32(const Tensor& t, const char* op, const char* what) {
  SPOOL_CHECK(t.defined(), InvalidArgument, op, ": ", what, " is undefined");
  SPOOL_CHECK(t.dtype() == DType::kF32 && t.rank() >= 1, InvalidArgument, op, ": ", what, " must be f32 of rank >= 1, got ",
              dtype_name(t.dtype()), " ", t.shape().to_string());
}

using RowKernel = void (*)(const float*, std::int64_t, std::int64_t, float*);
using RowBackwardKernel = void (*)(const float*, const float*, std::int64_t, std::int64_t, float*);

Tensor run_forward(const Tensor& x, RowKernel kernel, const char* op) {
  check_f32(x, op, "input");
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::kF32);
  const std::int64_t cols = x.dim(-1);
  if (x.numel() > 0) kernel(xc.data<float>(), x.numel() / cols, cols, y.data<float>());
  return y;
}

Tensor run_backward(const Tensor& y, const Tensor& dy, RowBackwardKernel kernel, const char* op) {
  check_f32(y, op, "output");
  check_f32(dy, op, "gradient");
  SPOOL_CHECK(y.shape() == dy.shape(), InvalidArgument, op, ": gradient ", dy.shape().to_string(),
              " does not match output ", y.shape().to_string());
  const Tensor yc = y.contiguous();
  const Tensor dyc = dy.contiguous();
  Tensor dx = Tensor::empty(y.shape(), DType::kF32);
  const std::int64_t cols = y.dim(-1);
  if (y.numel() > 0) kernel(yc.data<float>(), dyc.data<float>(), y.numel() / cols, cols, dx.data<float>());
  return dx;
}

}  // namespace

Tensor softmax(const Tensor& x) { return run_forward(x, kernels::softmax, "softmax"); }
Tensor log_softmax(const Tensor& x) { return run_forward(x, kernels::log_softmax, "log_softmax"); }
Tensor softmax_backward(const Tensor& y, const Tensor& dy) {
  return run_backward(y, dy, kernels::softmax_backward, "softmax_backward");
}
Tensor log_softmax_backward(const Tensor& y, const Tensor& dy) {
  return run_backward(y, dy, kernels::log_softmax_backward, "log_softmax_backward");
}

}  // namespace kernels
}  // namespace spool
