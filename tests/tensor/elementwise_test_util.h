// Helpers for the elementwise, broadcast and reduce tests: random tensors in several
// layouts with the same logical values, and the index arithmetic of a plain
// reference loop (independent of the kernels' StridedLoop).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "spool/tensor/tensor.h"
#include "spool/tensor/thread_pool.h"

namespace spool::testing {

// Row-major multi-index of `flat` in `shape`.
inline std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(shape.dims().size());
  for (std::size_t a = index.size(); a-- > 0;) {
    index[a] = flat % shape.dims()[a];
    flat /= shape.dims()[a];
  }
  return index;
}

// The row-major position in `src` of the element that broadcasting sends to `index`
// (an index over a shape of rank >= src's): missing leading axes and extent-1 axes
// read index 0.
inline std::int64_t broadcast_source(const std::vector<std::int64_t>& index, const Shape& src) {
  const std::size_t lead = index.size() - src.dims().size();
  std::int64_t flat = 0;
  for (std::size_t a = 0; a < src.dims().size(); ++a)
    flat = flat * src.dims()[a] + (src.dims()[a] == 1 ? 0 : index[lead + a]);
  return flat;
}

enum class Layout { kContiguous, kTransposed, kStepped, kBroadcast };
inline const char* layout_name(Layout l) {
  switch (l) {
    case Layout::kContiguous: return "contiguous";
    case Layout::kTransposed: return "transposed";
    case Layout::kStepped: return "stepped";
    case Layout::kBroadcast: return "broadcast";
  }
  return "?";
}

// Uniform values in [lo, hi] (integers for integer dtypes).
inline Tensor random_tensor(const Shape& shape, DType dtype, std::mt19937& rng, double lo = -3, double hi = 3) {
  Tensor t = Tensor::empty(shape, dtype);
  visit_dtype(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      const double v = std::uniform_real_distribution<double>(lo, hi)(rng);
      p[i] = static_cast<T>(std::is_integral_v<T> ? std::round(v) : v);
    }
  });
  return t;
}

// A tensor of `shape` laid out as asked (falling back to contiguous where the layout
// cannot apply, e.g. transposing a vector). kBroadcast gives a view whose extent-1
// source axes are chosen at random, so its values repeat.
inline Tensor random_view(const Shape& shape, DType dtype, Layout layout, std::mt19937& rng, double lo = -3,
                          double hi = 3) {
  const std::size_t r = shape.dims().size();
  std::vector<std::int64_t> dims = shape.dims();
  if (layout == Layout::kTransposed && r >= 2) {
    std::swap(dims[0], dims[r - 1]);
    return random_tensor(Shape(dims), dtype, rng, lo, hi).transpose(0, static_cast<std::int64_t>(r) - 1);
  }
  if (layout == Layout::kStepped && r >= 1) {
    dims[r - 1] = dims[r - 1] * 2 + 1;
    if (r >= 2) dims[0] += 3;
    Tensor t = random_tensor(Shape(dims), dtype, rng, lo, hi).slice(static_cast<std::int64_t>(r) - 1, 1, dims[r - 1], 2);
    return r >= 2 ? t.narrow(0, 2, shape.dims()[0]) : t;
  }
  if (layout == Layout::kBroadcast) {
    for (auto& d : dims)
      if (rng() % 2 == 0) d = 1;
    return random_tensor(Shape(dims), dtype, rng, lo, hi).broadcast_to(shape);
  }
  return random_tensor(shape, dtype, rng, lo, hi);
}

// Bitwise equality of two tensors' row-major contents (NaNs with equal bits match).
inline bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<std::size_t>(a.numel()) * a.element_size()) == 0;
}

// Sets the pool size for a scope and restores it afterwards.
class ScopedThreads {
 public:
  explicit ScopedThreads(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ScopedThreads() { set_num_threads(saved_); }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_;
};

}  // namespace spool::testing
