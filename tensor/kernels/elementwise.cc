// Unary and binary arithmetic, scalars and in-place updates. Comparisons and where
// live in compare.cc; the loops themselves in elementwise_loops.h.
#include "spool/tensor/kernels/elementwise.h"

#include <cmath>
#include <functional>
#include <limits>

#include "spool/tensor/kernels/elementwise_loops.h"

namespace spool::kernels {

void check_kind(std::string_view op, Kinds kinds, DType dtype) {
  const bool is_float = dtype == DType::kF32 || dtype == DType::kF64;
  if (kinds == Kinds::kFloat)
    SPOOL_CHECK(is_float, InvalidArgument, op, ": needs f32 or f64, got ", dtype_name(dtype), " (cast first)");
  if (kinds == Kinds::kSigned)
    SPOOL_CHECK(dtype != DType::kU8, InvalidArgument, op, ": needs i32, i64, f32 or f64, got ", dtype_name(dtype));
}

BinaryLayout binary_layout(std::string_view op, const Tensor& a, const Tensor& b) {
  SPOOL_CHECK(a.dtype() == b.dtype(), InvalidArgument, op, ": dtype mismatch ", dtype_name(a.dtype()), " vs ",
              dtype_name(b.dtype()), " (cast one operand first)");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  StridedLoop loop(shape, {contiguous_strides(shape), a.broadcast_to(shape).strides(), b.broadcast_to(shape).strides()});
  return {std::move(shape), loop};
}

}  // namespace spool::kernels

namespace spool::kernels {

using kernels::Kinds;

namespace {

// Integer arithmetic goes through the unsigned type: it wraps instead of being
// undefined on overflow (C++20 defines the conversion back).
template <typename T, typename F>
T wrapping(T x, T y, F f) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(f(static_cast<U>(x), static_cast<U>(y)));
  } else {
    return f(x, y);
  }
}

template <Kinds K, typename Op>
Tensor unary(std::string_view name, const Tensor& x, Op op) {
  kernels::check_kind(name, K, x.dtype());
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const kernels::StridedLoop loop(x.shape(), {out.strides(), x.strides()});
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (kernels::kAdmits<K, T>)
      kernels::map_unary(loop, out.data<T>(), x.data<T>(), [op](T v) { return static_cast<T>(op(v)); });
  });
  return out;
}

template <Kinds K, typename Op>
Tensor binary(std::string_view name, const Tensor& a, const Tensor& b, Op op) {
  const kernels::BinaryLayout layout = kernels::binary_layout(name, a, b);
  kernels::check_kind(name, K, a.dtype());
  Tensor out = Tensor::empty(layout.shape, a.dtype());
  visit_dtype(a.dtype(), [&]<typename T>() {
    if constexpr (kernels::kAdmits<K, T>)
      kernels::map_binary(layout.loop, out.data<T>(), a.data<T>(), b.data<T>(),
                          [op](T x, T y) { return static_cast<T>(op(x, y)); });
  });
  return out;
}

// out = op(out, x) with x broadcast to out's shape.
template <Kinds K, typename Op>
Tensor& inplace(std::string_view name, Tensor& out, const Tensor& x, Op op) {
  SPOOL_CHECK(out.dtype() == x.dtype(), InvalidArgument, name, ": dtype mismatch ", dtype_name(out.dtype()), " vs ",
              dtype_name(x.dtype()), " (cast one operand first)");
  kernels::check_kind(name, K, out.dtype());
  SPOOL_CHECK(broadcastable_to(x.shape(), out.shape()), InvalidArgument, name, ": cannot broadcast shape ",
              x.shape().to_string(), " to the output's ", out.shape().to_string());
  for (std::int64_t a = 0; a < out.rank(); ++a)
    SPOOL_CHECK(out.dim(a) <= 1 || out.strides()[static_cast<std::size_t>(a)] != 0, InvalidArgument, name,
                ": the output ", out.shape().to_string(), " is a broadcast view (stride 0 on axis ", a,
                "); its elements overlap");
  // x may overlap out in any way (a shifted slice of it, say): then read a copy. The
  // very same view is safe as is, since each element is read before it is written.
  const bool same_view = x.offset() == out.offset() && x.shape() == out.shape() && x.strides() == out.strides();
  const Tensor src = x.storage() == out.storage() && !same_view ? x.clone() : x;
  const kernels::StridedLoop loop(out.shape(),
                                  {out.strides(), out.strides(), src.broadcast_to(out.shape()).strides()});
  visit_dtype(out.dtype(), [&]<typename T>() {
    if constexpr (kernels::kAdmits<K, T>)
      kernels::map_binary(loop, out.data<T>(), out.data<T>(), src.data<T>(),
                          [op](T o, T v) { return static_cast<T>(op(o, v)); });
  });
  return out;
}

const auto kAdd = []<typename T>(T x, T y) { return wrapping(x, y, std::plus<>{}); };
const auto kSub = []<typename T>(T x, T y) { return wrapping(x, y, std::minus<>{}); };
const auto kMul = []<typename T>(T x, T y) { return wrapping(x, y, std::multiplies<>{}); };
const auto kDiv = []<typename T>(T x, T y) { return x / y; };
// A NaN wins from either side, as in NumPy's maximum (y's NaN falls through to y).
const auto kMaximum = []<typename T>(T x, T y) { return (x > y || kernels::is_nan(x)) ? x : y; };
const auto kMinimum = []<typename T>(T x, T y) { return (x < y || kernels::is_nan(x)) ? x : y; };
const auto kPow = []<typename T>(T x, T y) { return std::pow(x, y); };

}  // namespace

Tensor scalar_like(double value, DType dtype, std::string_view op) {
  visit_dtype(dtype, [&]<typename T>() {
    if constexpr (std::is_integral_v<T>) {
      // The upper bound is exclusive because 2^63 - 1 is not a double (2^63 is).
      const double lo = static_cast<double>(std::numeric_limits<T>::min());
      const double hi = lo < 0 ? -lo : static_cast<double>(std::numeric_limits<T>::max()) + 1.0;
      SPOOL_CHECK(std::trunc(value) == value && value >= lo && value < hi, InvalidArgument, op, ": scalar ", value,
                  " is not representable as ", dtype_name(dtype));
    }
  });
  return Tensor::full(Shape{}, value, dtype);
}

Tensor neg(const Tensor& x) {
  return unary<Kinds::kSigned>("neg", x, []<typename T>(T v) { return wrapping(T{0}, v, std::minus<>{}); });
}
Tensor abs(const Tensor& x) {
  return unary<Kinds::kSigned>("abs", x, []<typename T>(T v) {
    if constexpr (std::is_integral_v<T>) return v < 0 ? wrapping(T{0}, v, std::minus<>{}) : v;
    else return std::abs(v);
  });
}
Tensor sign(const Tensor& x) {
  return unary<Kinds::kSigned>("sign", x, []<typename T>(T v) { return v > 0 ? T{1} : (v < 0 ? T{-1} : v); });
}
Tensor square(const Tensor& x) {
  return unary<Kinds::kSigned>("square", x, []<typename T>(T v) { return kMul(v, v); });
}
Tensor relu(const Tensor& x) {
  return unary<Kinds::kSigned>("relu", x, []<typename T>(T v) { return v < 0 ? T{0} : v; });
}
Tensor exp(const Tensor& x) {
  return unary<Kinds::kFloat>("exp", x, []<typename T>(T v) { return std::exp(v); });
}
Tensor log(const Tensor& x) {
  return unary<Kinds::kFloat>("log", x, []<typename T>(T v) { return std::log(v); });
}
Tensor sqrt(const Tensor& x) {
  return unary<Kinds::kFloat>("sqrt", x, []<typename T>(T v) { return std::sqrt(v); });
}
Tensor rsqrt(const Tensor& x) {
  return unary<Kinds::kFloat>("rsqrt", x, []<typename T>(T v) { return T{1} / std::sqrt(v); });
}
Tensor tanh(const Tensor& x) {
  return unary<Kinds::kFloat>("tanh", x, []<typename T>(T v) { return std::tanh(v); });
}
Tensor sigmoid(const Tensor& x) {
  return unary<Kinds::kFloat>("sigmoid", x, []<typename T>(T v) { return T{1} / (T{1} + std::exp(-v)); });
}

Tensor add(const Tensor& a, const Tensor& b) { return binary<Kinds::kAny>("add", a, b, kAdd); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary<Kinds::kAny>("sub", a, b, kSub); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary<Kinds::kAny>("mul", a, b, kMul); }
Tensor div(const Tensor& a, const Tensor& b) { return binary<Kinds::kFloat>("div", a, b, kDiv); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary<Kinds::kAny>("maximum", a, b, kMaximum); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary<Kinds::kAny>("minimum", a, b, kMinimum); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary<Kinds::kFloat>("pow", a, b, kPow); }

Tensor add(const Tensor& a, double b) { return add(a, scalar_like(b, a.dtype(), "add")); }
Tensor add(double a, const Tensor& b) { return add(scalar_like(a, b.dtype(), "add"), b); }
Tensor sub(const Tensor& a, double b) { return sub(a, scalar_like(b, a.dtype(), "sub")); }
Tensor sub(double a, const Tensor& b) { return sub(scalar_like(a, b.dtype(), "sub"), b); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(b, a.dtype(), "mul")); }
Tensor mul(double a, const Tensor& b) { return mul(scalar_like(a, b.dtype(), "mul"), b); }
Tensor div(const Tensor& a, double b) { return div(a, scalar_like(b, a.dtype(), "div")); }
Tensor div(double a, const Tensor& b) { return div(scalar_like(a, b.dtype(), "div"), b); }
Tensor maximum(const Tensor& a, double b) { return maximum(a, scalar_like(b, a.dtype(), "maximum")); }
Tensor minimum(const Tensor& a, double b) { return minimum(a, scalar_like(b, a.dtype(), "minimum")); }
Tensor pow(const Tensor& a, double b) { return pow(a, scalar_like(b, a.dtype(), "pow")); }

Tensor& add_(Tensor& out, const Tensor& x) { return inplace<Kinds::kAny>("add_", out, x, kAdd); }
Tensor& sub_(Tensor& out, const Tensor& x) { return inplace<Kinds::kAny>("sub_", out, x, kSub); }
Tensor& mul_(Tensor& out, const Tensor& x) { return inplace<Kinds::kAny>("mul_", out, x, kMul); }
Tensor& div_(Tensor& out, const Tensor& x) { return inplace<Kinds::kFloat>("div_", out, x, kDiv); }
Tensor& add_(Tensor& out, double x) { return add_(out, scalar_like(x, out.dtype(), "add_")); }
Tensor& mul_(Tensor& out, double x) { return mul_(out, scalar_like(x, out.dtype(), "mul_")); }

Tensor& axpy_(Tensor& out, double alpha, const Tensor& x) {
  // alpha is rounded to the dtype once, so every element sees the same factor.
  return inplace<Kinds::kFloat>("axpy_", out, x, [alpha]<typename T>(T o, T v) { return o + static_cast<T>(alpha) * v; });
}

}  // namespace spool::kernels
