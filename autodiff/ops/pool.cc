#include "spool/autodiff/ops/pool.h"

#include "spool/autodiff/ops/reference_f64.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"

namespace spool {
namespace {

using autodiff::GradContext;

Window2D geometry(const Shape& x, const Pool2DOptions& o, const char* op) {
  SPOOL_CHECK(x.rank() == 4, InvalidArgument, op, ": input must be [N, H, W, C], got ", x.to_string());
  return window2d(x, o.window_h(), o.window_w(), o.stride_h(), o.stride_w(), o.padding(), op);
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options) {
  SPOOL_GRAPH_OP(max_pool2d, x, options);
  autodiff::Recording rec{x};
  if (x.dtype() != DType::kF64 && !rec) return kernels::max_pool2d(x, options);
  if (x.dtype() != DType::kF64 && kernels::pool_windows_disjoint(geometry(x.shape(), options, "max_pool2d"))) {
    // Windows that never overlap (Keras' default): a 1-byte position within the window
    // is kept instead of an 8-byte index, and the gradient writes dx in one pass.
    kernels::MaxPool2DResult r = kernels::max_pool2d_with_window_argmax(x, options);
    rec.record(r.output, [position = r.argmax, sx = x.shape(), options](GradContext& g) {
      g.dx(0) = kernels::max_pool2d_backward_window_argmax(g.dy(), position, sx, options);
      autodiff::record_without_gradient(g.dx(0), {g.dy()}, "max_pool2d's gradient");
    });
    return r.output;
  }
  Tensor y, argmax;
  if (x.dtype() == DType::kF64) {
    detail::MaxPoolF64 r = detail::max_pool2d_f64(x, geometry(x.shape(), options, "max_pool2d"));
    y = r.output;
    argmax = r.argmax;
  } else {
    kernels::MaxPool2DResult r = kernels::max_pool2d_with_argmax(x, options);
    y = r.output;
    argmax = r.argmax;
  }
  if (rec)
    rec.record(y, [argmax, sx = x.shape(), options](GradContext& g) {
      g.dx(0) = g.dy().dtype() == DType::kF64
                    ? detail::max_pool2d_backward_f64(g.dy(), argmax, geometry(sx, options, "max_pool2d"))
                    : kernels::max_pool2d_backward(g.dy(), argmax, sx);
      autodiff::record_without_gradient(g.dx(0), {g.dy()}, "max_pool2d's gradient");
    });
  return y;
}

Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options) {
  SPOOL_GRAPH_OP(avg_pool2d, x, options);
  Tensor y = x.dtype() == DType::kF64 ? detail::avg_pool2d_f64(x, geometry(x.shape(), options, "avg_pool2d"))
                                      : kernels::avg_pool2d(x, options);
  if (autodiff::Recording rec{x})
    rec.record(y, [sx = x.shape(), options](GradContext& g) {
      g.dx(0) = g.dy().dtype() == DType::kF64
                    ? detail::avg_pool2d_backward_f64(g.dy(), geometry(sx, options, "avg_pool2d"))
                    : kernels::avg_pool2d_backward(g.dy(), sx, options);
      autodiff::record_without_gradient(g.dx(0), {g.dy()}, "avg_pool2d's gradient");
    });
  return y;
}

}  // namespace spool
