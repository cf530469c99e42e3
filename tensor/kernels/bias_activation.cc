// R rows (every axis but the last, flattened), C channels (the last axis).
#include "spool/tensor/kernels/bias_activation.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "spool/tensor/thread_pool.h"

namespace spool {

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::kNone:
      return "none";
    case Activation::kRelu:
      return "relu";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "activation(" + std::to_string(static_cast<int>(activation)) + ")";
}

namespace kernels {

namespace {

// Elementwise work below this many floats is not worth waking a thread for.
constexpr std::int64_t kGrainFloats = 1 << 14;

std::int64_t row_grain(std::int64_t channels) { return std::max<std::int64_t>(1, kGrainFloats / channels); }

// out[i] = op(i) for i in [0, n). GCC 12 at -O2 vectorises a loop only at a known trip
// count and without run-time alias checks (see elementwise_loops.h): blocks of 16
// through a local array, then the same op for the tail, so a value never depends on
// where it fell.
template <typename Op>
void store_each(float* out, std::int64_t n, Op op) {
  constexpr std::int64_t kBlock = 16;
  std::int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    float block[kBlock];
    for (std::int64_t k = 0; k < kBlock; ++k) block[k] = op(i + k);
    for (std::int64_t k = 0; k < kBlock; ++k) out[i + k] = block[k];
  }
  for (; i < n; ++i) out[i] = op(i);
}

}  // namespace

void bias_activation_rows(const float* x, const float* bias, Activation activation, std::int64_t rows,
                          std::int64_t channels, float* y) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    switch (activation) {
      case Activation::kNone:
        if (bias) {
          store_each(yr, channels, [&](std::int64_t c) { return xr[c] + bias[c]; });
        } else if (yr != xr) {
          std::copy(xr, xr + channels, yr);
        }
        break;
      case Activation::kRelu:
        if (bias) {
          store_each(yr, channels, [&](std::int64_t c) { return std::max(xr[c] + bias[c], 0.0f); });
        } else {
          store_each(yr, channels, [&](std::int64_t c) { return std::max(xr[c], 0.0f); });
        }
        break;
      case Activation::kSigmoid:
        // 1 / (1 + e^−z) overflows only to e^−z = inf, giving the right limit 0.
        for (std::int64_t c = 0; c < channels; ++c) {
          const float z = bias ? xr[c] + bias[c] : xr[c];
          yr[c] = 1.0f / (1.0f + std::exp(-z));
        }
        break;
    }
  }
}

void bias_activation(const float* x, const float* bias, Activation activation, std::int64_t rows,
                     std::int64_t channels, float* y) {
  parallel_for(rows, row_grain(channels), [&](std::int64_t begin, std::int64_t end) {
    bias_activation_rows(x + begin * channels, bias, activation, end - begin, channels, y + begin * channels);
  });
}

void activation_backward(const float* y, const float* dy, Activation activation, std::int64_t n, float* dx) {
  parallel_for(n, kGrainFloats, [&](std::int64_t begin, std::int64_t end) {
    switch (activation) {
      case Activation::kNone:
        if (dx != dy) std::copy(dy + begin, dy + end, dx + begin);
        break;
      case Activation::kRelu:
        // Both loads unconditional: a load under the condition may not be speculated,
        // which keeps the loop scalar and branchy.
        store_each(dx + begin, end - begin, [&](std::int64_t i) {
          const float g = dy[begin + i];
          return y[begin + i] > 0.0f ? g : 0.0f;
        });
        break;
      case Activation::kSigmoid:
        store_each(dx + begin, end - begin,
                   [&](std::int64_t i) { return dy[begin + i] * y[begin + i] * (1.0f - y[begin + i]); });
        break;
    }
  });
}

void bias_grad_rows(const float* dy, std::int64_t rows, std::int64_t channels, double* acc) {
  // Each channel's sum runs over the rows in order whatever the blocking, so the result
  // is the one the plain loop gives.
  constexpr std::int64_t kBlock = 16;
  std::int64_t c0 = 0;
  for (; c0 + kBlock <= channels; c0 += kBlock) {
    double sum[kBlock];
    for (std::int64_t k = 0; k < kBlock; ++k) sum[k] = acc[c0 + k];
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = dy + r * channels + c0;
      for (std::int64_t k = 0; k < kBlock; ++k) sum[k] += row[k];
    }
    for (std::int64_t k = 0; k < kBlock; ++k) acc[c0 + k] = sum[k];
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = dy + r * channels;
    for (std::int64_t c = c0; c < channels; ++c) acc[c] += row[c];
  }
}

void bias_grad(const float* dy, std::int64_t rows, std::int64_t channels, float* dbias) {
  const std::int64_t chunks = std::max<std::int64_t>(parallel_chunks(rows, row_grain(channels)), 1);
  std::vector<double> partial(static_cast<std::size_t>(chunks * channels), 0.0);
  parallel_for(chunks, 1, [&](std::int64_t chunk_begin, std::int64_t chunk_end) {
    for (std::int64_t k = chunk_begin; k < chunk_end; ++k) {
      const std::int64_t r0 = rows * k / chunks;
      bias_grad_rows(dy + r0 * channels, rows * (k + 1) / chunks - r0, channels, partial.data() + k * channels);
    }
  });
  for (std::int64_t c = 0; c < channels; ++c) {
    double sum = 0;
    for (std::int64_t k = 0; k < chunks; ++k) sum += partial[static_cast<std::size_t>(k * channels + c)];
    dbias[c] = static_cast<float>(sum);
  }
}


namespace {

void check_f32(const Tensor& t, const char* op, const char* what) {
  SPOOL_CHECK(t.defined(), InvalidArgument, op, ": ", what, " is undefined");
  SPOOL_CHECK(t.dtype() == DType::kF32, InvalidArgument, op, ": ", what, " ", t.shape().to_string(), " is ",
              dtype_name(t.dtype()), ", expected f32");
  SPOOL_CHECK(t.rank() >= 1, InvalidArgument, op, ": ", what, " must have rank >= 1, got a scalar");
}

}  // namespace

Tensor bias_activation(const Tensor& x, const Tensor& bias, Activation activation) {
  check_f32(x, "bias_activation", "input");
  const std::int64_t channels = x.dim(-1);
  Tensor bc;
  if (bias.defined()) {
    check_f32(bias, "bias_activation", "bias");
    SPOOL_CHECK(bias.rank() == 1 && bias.dim(0) == channels, InvalidArgument, "bias_activation: bias ",
                bias.shape().to_string(), " does not match input ", x.shape().to_string(), " (expected [",
                channels, "])");
    bc = bias.contiguous();
  }
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), DType::kF32);
  if (channels == 0) return y;
  kernels::bias_activation(xc.data<float>(), bc.defined() ? bc.data<float>() : nullptr, activation,
                           x.numel() / channels, channels, y.data<float>());
  return y;
}

BiasActivationGrads bias_activation_backward(const Tensor& y, const Tensor& dy, Activation activation) {
  check_f32(y, "bias_activation_backward", "output");
  check_f32(dy, "bias_activation_backward", "gradient");
  SPOOL_CHECK(y.shape() == dy.shape(), InvalidArgument, "bias_activation_backward: gradient ",
              dy.shape().to_string(), " does not match output ", y.shape().to_string());
  const Tensor yc = y.contiguous();
  const Tensor dyc = dy.contiguous();
  BiasActivationGrads g;
  g.dx = Tensor::empty(y.shape(), DType::kF32);
  kernels::activation_backward(yc.data<float>(), dyc.data<float>(), activation, y.numel(), g.dx.data<float>());
  g.dbias = bias_grad(g.dx);
  return g;
}

Tensor bias_grad(const Tensor& dy) {
  check_f32(dy, "bias_grad", "gradient");
  const std::int64_t channels = dy.dim(-1);
  Tensor out = Tensor::zeros(Shape{channels}, DType::kF32);
  if (channels == 0 || dy.numel() == 0) return out;
  const Tensor dyc = dy.contiguous();
  kernels::bias_grad(dyc.data<float>(), dy.numel() / channels, channels, out.data<float>());
  return out;
}

}  // namespace kernels
}  // namespace spool
