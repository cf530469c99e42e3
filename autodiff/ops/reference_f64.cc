#include "spool/autodiff/ops/reference_f64.h"

#include <limits>

namespace spool::detail {
namespace {

// Calls fn(n, o, ky, kx, i) for every window tap inside the input: o = (n·OH + oy)·OW + ox
// numbers the output pixel and i = (n·H + iy)·W + ix the input pixel under the tap.
template <typename Fn>
void for_each_tap(const Window2D& g, Fn&& fn) {
  for (std::int64_t n = 0; n < g.batch; ++n)
    for (std::int64_t oy = 0; oy < g.out_h; ++oy)
      for (std::int64_t ox = 0; ox < g.out_w; ++ox) {
        const std::int64_t o = (n * g.out_h + oy) * g.out_w + ox;
        for (std::int64_t ky = 0; ky < g.kernel_h; ++ky) {
          const std::int64_t iy = oy * g.stride_h - g.pad_top + ky;
          if (iy < 0 || iy >= g.in_h) continue;
          for (std::int64_t kx = 0; kx < g.kernel_w; ++kx) {
            const std::int64_t ix = ox * g.stride_w - g.pad_left + kx;
            if (ix < 0 || ix >= g.in_w) continue;
            fn(n, o, ky, kx, (n * g.in_h + iy) * g.in_w + ix);
          }
        }
      }
}

const double* f64(const Tensor& t) { return t.data<double>(); }

}  // namespace

Tensor matmul_f64(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  SPOOL_CHECK(a.rank() == 2 && b.rank() == 2, InvalidArgument, "matmul: needs 2-D tensors, got ", a.shape().to_string(),
              " and ", b.shape().to_string());
  const Tensor at = transpose_a ? a.transpose(0, 1).contiguous() : a.contiguous();
  const Tensor bt = transpose_b ? b.transpose(0, 1).contiguous() : b.contiguous();
  const std::int64_t m = at.dim(0), k = at.dim(1), n = bt.dim(1);
  SPOOL_CHECK(k == bt.dim(0), InvalidArgument, "matmul: shapes ", a.shape().to_string(), (transpose_a ? "ᵀ" : ""),
              " and ", b.shape().to_string(), (transpose_b ? "ᵀ" : ""), " do not fit (", k, " vs ", bt.dim(0), ")");
  Tensor c = Tensor::zeros(Shape{m, n}, DType::kF64);
  double* pc = c.data<double>();
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t p = 0; p < k; ++p)
      for (std::int64_t j = 0; j < n; ++j) pc[i * n + j] += f64(at)[i * k + p] * f64(bt)[p * n + j];
  return c;
}

namespace {
// Calls fn(x_index, y_index, w_index) for every product x[n, iy, ix, c] · w[ky, kx, c, f]
// that adds to y[n, oy, ox, f]: the forward pass and both of its adjoints walk the same.
template <typename Fn>
void for_each_product(const Window2D& g, std::int64_t c_out, Fn&& fn) {
  const std::int64_t ci = g.channels;
  for_each_tap(g, [&](std::int64_t, std::int64_t o, std::int64_t ky, std::int64_t kx, std::int64_t i) {
    for (std::int64_t c = 0; c < ci; ++c)
      for (std::int64_t f = 0; f < c_out; ++f)
        fn(i * ci + c, o * c_out + f, ((ky * g.kernel_w + kx) * ci + c) * c_out + f);
  });
}
}  // namespace

Tensor conv2d_f64(const Tensor& x, const Tensor& filter, const Window2D& g) {
  const Tensor xc = x.contiguous(), wc = filter.contiguous();
  Tensor y = Tensor::zeros(Shape{g.batch, g.out_h, g.out_w, filter.dim(3)}, DType::kF64);
  double* py = y.data<double>();
  for_each_product(g, filter.dim(3),
                   [&](std::int64_t xi, std::int64_t yi, std::int64_t wi) { py[yi] += f64(xc)[xi] * f64(wc)[wi]; });
  return y;
}

Tensor conv2d_backward_input_f64(const Tensor& dy, const Tensor& filter, const Window2D& g) {
  const Tensor dyc = dy.contiguous(), wc = filter.contiguous();
  Tensor dx = Tensor::zeros(Shape{g.batch, g.in_h, g.in_w, g.channels}, DType::kF64);
  double* pdx = dx.data<double>();
  for_each_product(g, filter.dim(3),
                   [&](std::int64_t xi, std::int64_t yi, std::int64_t wi) { pdx[xi] += f64(dyc)[yi] * f64(wc)[wi]; });
  return dx;
}

Tensor conv2d_backward_filter_f64(const Tensor& x, const Tensor& dy, const Window2D& g, const Shape& filter_shape) {
  const Tensor xc = x.contiguous(), dyc = dy.contiguous();
  Tensor dw = Tensor::zeros(filter_shape, DType::kF64);
  double* pdw = dw.data<double>();
  for_each_product(g, filter_shape[3],
                   [&](std::int64_t xi, std::int64_t yi, std::int64_t wi) { pdw[wi] += f64(xc)[xi] * f64(dyc)[yi]; });
  return dw;
}

MaxPoolF64 max_pool2d_f64(const Tensor& x, const Window2D& g) {
  const Tensor xc = x.contiguous();
  const std::int64_t c = g.channels, image = g.in_h * g.in_w * c;
  const Shape out{g.batch, g.out_h, g.out_w, c};
  MaxPoolF64 r{Tensor::full(out, -std::numeric_limits<double>::infinity(), DType::kF64),
               Tensor::full(out, -1, DType::kI64)};
  double* py = r.output.data<double>();
  std::int64_t* pa = r.argmax.data<std::int64_t>();
  for_each_tap(g, [&](std::int64_t n, std::int64_t o, std::int64_t, std::int64_t, std::int64_t i) {
    for (std::int64_t k = 0; k < c; ++k)
      if (pa[o * c + k] < 0 || f64(xc)[i * c + k] > py[o * c + k]) {  // strict: the first maximum wins
        py[o * c + k] = f64(xc)[i * c + k];
        pa[o * c + k] = i * c + k - n * image;
      }
  });
  return r;
}

Tensor max_pool2d_backward_f64(const Tensor& dy, const Tensor& argmax, const Window2D& g) {
  const Tensor dyc = dy.contiguous(), ac = argmax.contiguous();
  const std::int64_t per_image = g.out_h * g.out_w * g.channels, image = g.in_h * g.in_w * g.channels;
  Tensor dx = Tensor::zeros(Shape{g.batch, g.in_h, g.in_w, g.channels}, DType::kF64);
  double* pdx = dx.data<double>();
  for (std::int64_t j = 0; j < dyc.numel(); ++j)
    pdx[(j / per_image) * image + ac.data<std::int64_t>()[j]] += f64(dyc)[j];
  return dx;
}

namespace {
// How many input pixels lie under each output pixel's window (TF's avg divisor).
std::vector<double> window_counts(const Window2D& g) {
  std::vector<double> counts(static_cast<std::size_t>(g.rows()), 0.0);
  for_each_tap(g, [&](std::int64_t, std::int64_t o, std::int64_t, std::int64_t, std::int64_t) { counts[o] += 1; });
  return counts;
}
}  // namespace

Tensor avg_pool2d_f64(const Tensor& x, const Window2D& g) {
  const Tensor xc = x.contiguous();
  const std::int64_t c = g.channels;
  const std::vector<double> counts = window_counts(g);
  Tensor y = Tensor::zeros(Shape{g.batch, g.out_h, g.out_w, c}, DType::kF64);
  double* py = y.data<double>();
  for_each_tap(g, [&](std::int64_t, std::int64_t o, std::int64_t, std::int64_t, std::int64_t i) {
    for (std::int64_t k = 0; k < c; ++k) py[o * c + k] += f64(xc)[i * c + k] / counts[o];
  });
  return y;
}

Tensor avg_pool2d_backward_f64(const Tensor& dy, const Window2D& g) {
  const Tensor dyc = dy.contiguous();
  const std::int64_t c = g.channels;
  const std::vector<double> counts = window_counts(g);
  Tensor dx = Tensor::zeros(Shape{g.batch, g.in_h, g.in_w, c}, DType::kF64);
  double* pdx = dx.data<double>();
  for_each_tap(g, [&](std::int64_t, std::int64_t o, std::int64_t, std::int64_t, std::int64_t i) {
    for (std::int64_t k = 0; k < c; ++k) pdx[i * c + k] += f64(dyc)[o * c + k] / counts[o];
  });
  return dx;
}

}  // namespace spool::detail
