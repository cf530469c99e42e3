// Reductions. The input is seen as outputs × reduced elements: `outer` walks the kept
// axes (one base offset per output element, in row-major output order), `inner` the
// reduced axes from that base. Both are StridedLoops, so any layout reduces without a
// copy and a reduction over contiguous trailing axes is one run per output.
#include "spool/tensor/kernels/reduce.h"

#include <cmath>
#include <limits>
#include <string_view>

#include "spool/tensor/kernels/broadcast.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/elementwise_loops.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {

namespace {

// Elements a thread should get at least before the pool is worth waking.
constexpr std::int64_t kReduceGrain = 64 * 1024;
constexpr int kLanes = 8;

struct ReducePlan {
  Shape out_shape;
  std::int64_t n_out;
  std::int64_t n_red;
  std::int64_t empty_axis;  // the first reduced axis of extent 0, or -1
  kernels::StridedLoop outer;
  kernels::StridedLoop inner;
};

ReducePlan plan_reduce(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  const std::int64_t r = x.rank();
  std::vector<bool> reduced(static_cast<std::size_t>(r), axes.empty());
  for (std::int64_t axis : axes) {
    SPOOL_CHECK(axis >= -r && axis < r, OutOfRange, op, ": axis ", axis, " out of range for shape ",
                x.shape().to_string());
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + r : axis);
    SPOOL_CHECK(!reduced[a], InvalidArgument, op, ": axis ", a, " given twice for shape ", x.shape().to_string());
    reduced[a] = true;
  }
  std::vector<std::int64_t> out_dims, kept_dims, kept_strides, red_dims, red_strides;
  std::int64_t empty_axis = -1;
  for (std::size_t a = 0; a < reduced.size(); ++a) {
    const std::int64_t extent = x.shape().dims()[a];
    if (reduced[a]) {
      red_dims.push_back(extent);
      red_strides.push_back(x.strides()[a]);
      if (keepdims) out_dims.push_back(1);
      if (extent == 0 && empty_axis < 0) empty_axis = static_cast<std::int64_t>(a);
    } else {
      kept_dims.push_back(extent);
      kept_strides.push_back(x.strides()[a]);
      out_dims.push_back(extent);
    }
  }
  const Shape kept(std::move(kept_dims));
  const Shape red(std::move(red_dims));
  return ReducePlan{Shape(std::move(out_dims)), kept.numel(),
                    red.numel(),                empty_axis,
                    kernels::StridedLoop(kept, {kept_strides}), kernels::StridedLoop(red, {red_strides})};
}

// Calls fn(o, base) for every output o with the input offset of its first element,
// split over the pool by outputs.
template <typename Fn>
void for_each_output(const ReducePlan& p, Fn&& fn) {
  const std::int64_t grain = std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(1, p.n_red));
  parallel_for(p.n_out, grain, [&](std::int64_t o0, std::int64_t o1) {
    std::int64_t o = o0;
    const std::int64_t stride = p.outer.inner_stride(0);
    p.outer.for_each_run(o0, o1, [&](const std::int64_t* at, std::int64_t count) {
      for (std::int64_t i = 0; i < count; ++i) fn(o++, at[0] + i * stride);
    });
  });
}

// Feeds reduced positions [r0, r1) of the output at `base` to state.add(p, stride, n).
template <typename T, typename State>
void feed(const ReducePlan& p, const T* x, std::int64_t base, std::int64_t r0, std::int64_t r1, State& state) {
  const std::int64_t stride = p.inner.inner_stride(0);
  p.inner.for_each_run(r0, r1, [&](const std::int64_t* at, std::int64_t n) { state.add(x + base + at[0], stride, n); });
}

// Sum in kLanes interleaved accumulators: the fixed-count inner loop vectorises and
// the order of additions is fixed by position, not by the compiler.
template <typename A>
struct Lanes {
  A lane[kLanes] = {};
  template <typename T>
  void add(const T* p, std::int64_t s, std::int64_t n) {
    std::int64_t i = 0;
    if (s == 1) {
      for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) lane[j] += static_cast<A>(p[i + j]);
    } else {
      for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) lane[j] += static_cast<A>(p[(i + j) * s]);
    }
    for (int j = 0; i < n; ++i, ++j) lane[j] += static_cast<A>(p[i * s]);
  }
  A total() const { return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])); }
};

// Sums `width` <= kTile adjacent outputs (unit stride apart in x) together: the loop
// over the tile reads contiguous memory and vectorises, where one output at a time
// walks a strided column (sum over axis 0, the bias gradient). Each output keeps the
// very lanes and order Lanes gives it (lane = position in the run mod kLanes), so the
// totals are bitwise those of the one-at-a-time path.
constexpr int kTile = 16;

template <bool kFull, typename A, typename T>
void sum_tile(const ReducePlan& p, const T* x, std::int64_t base, int width, A* totals) {
  A acc[kLanes][kTile] = {};
  const int w_end = kFull ? kTile : width;
  const std::int64_t stride = p.inner.inner_stride(0);
  p.inner.for_each_run(0, p.n_red, [&](const std::int64_t* at, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      A* lane = acc[i % kLanes];
      const T* row = x + base + at[0] + i * stride;
      for (int w = 0; w < w_end; ++w) lane[w] += static_cast<A>(row[w]);
    }
  });
  for (int w = 0; w < w_end; ++w)
    totals[w] = ((acc[0][w] + acc[1][w]) + (acc[2][w] + acc[3][w])) + ((acc[4][w] + acc[5][w]) + (acc[6][w] + acc[7][w]));
}

// Calls finish(o, total) for every output. Integers accumulate in u64 (wrapping),
// floats in f64.
template <typename T, typename Finish>
void sum_kernel(const ReducePlan& p, const T* x, Finish finish) {
  using A = std::conditional_t<std::is_integral_v<T>, std::uint64_t, double>;
  const std::int64_t grain_out = std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(1, p.n_red));
  const std::int64_t by_out = parallel_chunks(p.n_out, grain_out);
  const std::int64_t by_red = parallel_chunks(p.n_red, kReduceGrain);
  if (by_red <= by_out && p.outer.inner_stride(0) == 1 && p.inner.inner_stride(0) != 1) {
    parallel_for(p.n_out, grain_out, [&](std::int64_t o0, std::int64_t o1) {
      std::int64_t o = o0;
      p.outer.for_each_run(o0, o1, [&](const std::int64_t* at, std::int64_t count) {
        A totals[kTile];
        for (std::int64_t i = 0; i < count; i += kTile) {
          const int width = static_cast<int>(std::min<std::int64_t>(kTile, count - i));
          if (width == kTile) sum_tile<true>(p, x, at[0] + i, width, totals);
          else sum_tile<false>(p, x, at[0] + i, width, totals);
          for (int w = 0; w < width; ++w) finish(o++, totals[w]);
        }
      });
    });
    return;
  }
  if (by_red <= by_out) {
    for_each_output(p, [&](std::int64_t o, std::int64_t base) {
      Lanes<A> lanes;
      feed(p, x, base, 0, p.n_red, lanes);
      finish(o, lanes.total());
    });
    return;
  }
  // Few outputs, long reductions: chunk c sums reduced range c of every output; the
  // partials are then added in chunk order.
  std::vector<A> partial(static_cast<std::size_t>(by_red * p.n_out));
  parallel_for(by_red, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c) {
      const std::int64_t r0 = p.n_red * c / by_red, r1 = p.n_red * (c + 1) / by_red;
      std::int64_t o = 0;
      const std::int64_t stride = p.outer.inner_stride(0);
      p.outer.for_each_run(0, p.n_out, [&](const std::int64_t* at, std::int64_t count) {
        for (std::int64_t i = 0; i < count; ++i, ++o) {
          Lanes<A> lanes;
          feed(p, x, at[0] + i * stride, r0, r1, lanes);
          partial[static_cast<std::size_t>(c * p.n_out + o)] = lanes.total();
        }
      });
    }
  });
  for (std::int64_t o = 0; o < p.n_out; ++o) {
    A total = 0;
    for (std::int64_t c = 0; c < by_red; ++c) total += partial[static_cast<std::size_t>(c * p.n_out + o)];
    finish(o, total);
  }
}

// The running max (kMax) or min and its first position; the first NaN wins for good.
template <typename T, bool kMax>
struct Extreme {
  T best{};
  std::int64_t index = -1;
  std::int64_t seen = 0;
  void add(const T* p, std::int64_t s, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i, ++seen) {
      const T v = p[i * s];
      // !(v <= best) is also true for a NaN v; a NaN best is never replaced.
      const bool better = kMax ? !(v <= best) : !(v >= best);
      if (index < 0 || (better && !kernels::is_nan(best))) {
        best = v;
        index = seen;
      }
    }
  }
};

// Calls finish(o, state) with each output's Extreme.
template <typename T, bool kMax, typename Finish>
void extreme_kernel(std::string_view op, const Tensor& x, const ReducePlan& p, Finish finish) {
  SPOOL_CHECK(p.n_red > 0 || p.n_out == 0, InvalidArgument, op, ": cannot reduce over axis ", p.empty_axis,
              " of extent 0 in shape ", x.shape().to_string(), " (no identity)");
  const T* data = x.data<T>();
  for_each_output(p, [&](std::int64_t o, std::int64_t base) {
    Extreme<T, kMax> state;
    feed(p, data, base, 0, p.n_red, state);
    finish(o, state);
  });
}

template <bool kMax>
Tensor extreme(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  const ReducePlan p = plan_reduce(op, x, axes, keepdims);
  Tensor out = Tensor::empty(p.out_shape, x.dtype());
  visit_dtype(x.dtype(), [&]<typename T>() {
    T* dst = out.data<T>();
    extreme_kernel<T, kMax>(op, x, p, [&](std::int64_t o, const Extreme<T, kMax>& s) { dst[o] = s.best; });
  });
  return out;
}

// sum and mean: the accumulated total, divided by `divisor` for the mean.
Tensor sum_or_mean(std::string_view op, const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims,
                   bool is_mean) {
  const ReducePlan p = plan_reduce(op, x, axes, keepdims);
  const bool is_float = x.dtype() == DType::kF32 || x.dtype() == DType::kF64;
  const DType out_dtype = is_float ? x.dtype() : (is_mean ? DType::kF64 : DType::kI64);
  Tensor out = Tensor::empty(p.out_shape, out_dtype);
  const auto n = static_cast<double>(p.n_red);
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      T* dst = out.data<T>();
      sum_kernel(p, x.data<T>(), [&](std::int64_t o, double t) { dst[o] = static_cast<T>(is_mean ? t / n : t); });
    } else if (is_mean) {
      double* dst = out.data<double>();
      sum_kernel(p, x.data<T>(), [&](std::int64_t o, std::uint64_t t) {
        dst[o] = static_cast<double>(static_cast<std::int64_t>(t)) / n;
      });
    } else {
      std::int64_t* dst = out.data<std::int64_t>();
      sum_kernel(p, x.data<T>(), [&](std::int64_t o, std::uint64_t t) { dst[o] = static_cast<std::int64_t>(t); });
    }
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return sum_or_mean("sum", x, axes, keepdims, false);
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return sum_or_mean("mean", x, axes, keepdims, true);
}

Tensor max(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return extreme<true>("max", x, axes, keepdims);
}

Tensor min(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  return extreme<false>("min", x, axes, keepdims);
}

Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdims) {
  const ReducePlan p = plan_reduce("argmax", x, {axis}, keepdims);
  Tensor out = Tensor::empty(p.out_shape, DType::kI64);
  std::int64_t* dst = out.data<std::int64_t>();
  visit_dtype(x.dtype(), [&]<typename T>() {
    extreme_kernel<T, true>("argmax", x, p, [&](std::int64_t o, const Extreme<T, true>& s) { dst[o] = s.index; });
  });
  return out;
}

Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& axes, bool keepdims) {
  kernels::check_kind("logsumexp", kernels::Kinds::kFloat, x.dtype());
  const ReducePlan p = plan_reduce("logsumexp", x, axes, keepdims);
  if (p.n_red == 0) return Tensor::full(p.out_shape, -std::numeric_limits<double>::infinity(), x.dtype());
  // Composed from primitives: shift by the row max so exp never overflows. A
  // non-finite max (a row of -inf, or a +inf) shifts by 0 instead, which keeps -inf
  // at -inf and +inf at +inf where x - max would give NaN.
  Tensor shift = max(x, axes, /*keepdims=*/true);
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      T* m = shift.data<T>();
      for (std::int64_t i = 0; i < shift.numel(); ++i)
        if (std::isinf(m[i])) m[i] = 0;
    }
  });
  Tensor result = add(log(sum(exp(sub(x, shift)), axes, /*keepdims=*/true)), shift);
  return keepdims ? result : result.reshape(p.out_shape);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  SPOOL_CHECK(broadcastable_to(shape, x.shape()), InvalidArgument, "sum_to: shape ", shape.to_string(),
              " does not broadcast to ", x.shape().to_string());
  const std::int64_t lead = x.rank() - shape.rank();
  std::vector<std::int64_t> axes;
  for (std::int64_t a = 0; a < x.rank(); ++a)
    if (a < lead || (shape[a - lead] == 1 && x.dim(a) != 1)) axes.push_back(a);
  if (axes.empty()) {  // nothing to sum; `sum` would read an empty list as "all axes"
    const bool is_float = x.dtype() == DType::kF32 || x.dtype() == DType::kF64;
    return (is_float ? x.clone() : x.cast(DType::kI64)).reshape(shape.dims());
  }
  return sum(x, axes, /*keepdims=*/true).reshape(shape.dims());
}

}  // namespace spool::kernels
