#include "spool/autodiff/ops/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "spool/autodiff/ops/activation.h"
#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/shape.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/kernels/elementwise.h"

namespace spool {
namespace {

using autodiff::GradContext;

// Legend: N rows (examples), C classes. Row n of x at x + n·C (contiguous).
template <typename T>
void forward_rows(const T* x, const std::int64_t* label, std::int64_t n, std::int64_t c, T* loss, T* p) {
  for (std::int64_t r = 0; r < n; ++r, x += c, p += c) {
    T hi = x[0];
    for (std::int64_t j = 1; j < c; ++j) hi = std::max(hi, x[j]);
    double total = 0;
    for (std::int64_t j = 0; j < c; ++j) {
      p[j] = std::exp(x[j] - hi);  // expf for f32: the row sum is what needs the double
      total += p[j];
    }
    const T inv = static_cast<T>(1.0 / total);
    for (std::int64_t j = 0; j < c; ++j) p[j] *= inv;
    loss[r] = static_cast<T>(std::log(total) - static_cast<double>(x[label[r]] - hi));
  }
}

// dx[n, j] = (p[n, j] − [j = label n]) · dy[n].
template <typename T>
void backward_rows(const T* p, const std::int64_t* label, const T* dy, std::int64_t n, std::int64_t c, T* dx) {
  for (std::int64_t r = 0; r < n; ++r, p += c, dx += c) {
    for (std::int64_t j = 0; j < c; ++j) dx[j] = p[j] * dy[r];
    dx[label[r]] -= dy[r];
  }
}

Tensor one_hot(const Tensor& label, std::int64_t classes, DType dtype) {
  SPOOL_GRAPH_OP(one_hot, label, classes, dtype);
  Tensor out = Tensor::zeros(Shape{label.dim(0), classes}, dtype);
  const std::int64_t* l = label.data<std::int64_t>();
  visit_dtype(dtype, [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>)
      for (std::int64_t r = 0; r < label.dim(0); ++r) out.data<T>()[r * classes + l[r]] = T(1);
  });
  return out;
}

}  // namespace

Tensor sparse_labels(const Tensor& labels, std::int64_t rows, std::int64_t classes, const char* who) {
  SPOOL_GRAPH_OP(sparse_labels, labels, rows, classes, who);
  const bool column = labels.rank() == 2 && labels.dim(1) == 1;  // Keras accepts [N, 1]
  SPOOL_CHECK((labels.rank() == 1 || column) && labels.dim(0) == rows, InvalidArgument, who, ": labels ",
              labels.shape().to_string(), " do not match ", rows, " rows of predictions");
  Tensor l = labels.dtype() == DType::kI64 ? labels.reshape({rows}).contiguous() : labels.cast(DType::kI64).reshape({rows});
  const std::int64_t* v = l.data<std::int64_t>();
  for (std::int64_t r = 0; r < rows; ++r)
    SPOOL_CHECK(v[r] >= 0 && v[r] < classes, OutOfRange, who, ": label ", v[r], " of row ", r, " outside [0, ",
                classes, ")");
  return l;
}

Tensor sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels) {
  SPOOL_GRAPH_OP(sparse_softmax_cross_entropy, logits, labels);
  SPOOL_CHECK(logits.rank() == 2 && logits.dim(1) > 0, InvalidArgument,
              "sparse_softmax_cross_entropy: logits must be [N, C], got ", logits.shape().to_string());
  SPOOL_CHECK(logits.dtype() == DType::kF32 || logits.dtype() == DType::kF64, InvalidArgument,
              "sparse_softmax_cross_entropy: logits must be f32/f64, got ", dtype_name(logits.dtype()));
  const std::int64_t n = logits.dim(0), c = logits.dim(1);
  const Tensor label = sparse_labels(labels, n, c, "sparse_softmax_cross_entropy");
  graph::note_fused("log_softmax+gather");
  const Tensor x = logits.contiguous();
  Tensor loss = Tensor::empty(Shape{n}, x.dtype());
  Tensor p = Tensor::empty(x.shape(), x.dtype());
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>)
      forward_rows(x.data<T>(), label.data<std::int64_t>(), n, c, loss.data<T>(), p.data<T>());
  });
  if (autodiff::Recording rec{logits})
    rec.record(loss, [logits, label, p](GradContext& g) {
      if (!autodiff::is_recording()) {
        const Tensor dy = g.dy().contiguous();
        Tensor dx = Tensor::empty(p.shape(), p.dtype());
        visit_dtype(p.dtype(), [&]<typename T>() {
          if constexpr (std::is_floating_point_v<T>)
            backward_rows(p.data<T>(), label.data<std::int64_t>(), dy.data<T>(), p.dim(0), p.dim(1), dx.data<T>());
        });
        g.dx(0) = dx;
      } else {  // composed, so that an outer tape sees softmax(logits)
        const Tensor diff = sub(softmax(logits), one_hot(label, p.dim(1), p.dtype()));
        g.dx(0) = mul(diff, reshape(g.dy(), {p.dim(0), 1}));
      }
    });
  return loss;
}

}  // namespace spool
