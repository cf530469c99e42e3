// Internal to tensor/kernels: the inner loops of the elementwise ops and the way they
// are spread over the pool. Not a public header.
//
//   kernels::map_run(ContiguousOut<float>{out}, n, op, Contiguous<float>{a}, Broadcast<float>{*b});
//
// The inner loop is written as blocks of kVector elements computed into a local array,
// then stored: GCC 12 at -O2 vectorises only loops whose trip count it knows (its
// "very cheap" cost model), and the local array makes an output that aliases an input
// (the in-place ops) safe without restrict. The tail runs the same scalar `op`, and
// fp contraction is off in ISO C++ mode, so a value never depends on whether it fell
// in a vector block or the tail — which is what keeps results independent of how the
// work was cut.
//
// Thread-safety: stateless templates.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "spool/tensor/kernels/broadcast.h"
#include "spool/tensor/tensor.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {

// Which dtypes an op accepts.
enum class Kinds { kAny, kSigned, kFloat };

template <Kinds K, typename T>
inline constexpr bool kAdmits = K == Kinds::kAny || (K == Kinds::kSigned && !std::is_same_v<T, std::uint8_t>) ||
                                (K == Kinds::kFloat && std::is_floating_point_v<T>);

// NaN test that is plainly false for integers (no self-comparison warnings).
template <typename T>
inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

// InvalidArgument "exp: needs f32 or f64, got i32" unless `dtype` is of kind `kinds`.
void check_kind(std::string_view op, Kinds kinds, DType dtype);

// The broadcast layout of (out, a, b), out contiguous; checks that a and b share a
// dtype and that their shapes broadcast, with messages naming `op`.
struct BinaryLayout {
  Shape shape;
  StridedLoop loop;
};
BinaryLayout binary_layout(std::string_view op, const Tensor& a, const Tensor& b);

inline constexpr int kVector = 16;
// Work is cut at multiples of kBlock elements, and a thread gets at least
// kGrainBlocks of them (64K elements, ~0.25 MB of f32): below that, waking a thread
// costs more than it saves.
inline constexpr std::int64_t kBlock = 1024;
inline constexpr std::int64_t kGrainBlocks = 64;

template <typename T>
struct Contiguous {
  const T* p;
  T operator[](std::int64_t i) const { return p[i]; }
};
template <typename T>
struct Broadcast {
  T value;
  T operator[](std::int64_t) const { return value; }
};
template <typename T>
struct Strided {
  const T* p;
  std::int64_t stride;
  T operator[](std::int64_t i) const { return p[i * stride]; }
};
template <typename T>
struct ContiguousOut {
  using value_type = T;
  T* p;
  void set(std::int64_t i, T v) const { p[i] = v; }
};
template <typename T>
struct StridedOut {
  using value_type = T;
  T* p;
  std::int64_t stride;
  void set(std::int64_t i, T v) const { p[i * stride] = v; }
};

template <typename Out, typename Op, typename... In>
inline void map_run(Out out, std::int64_t n, Op op, In... in) {
  using R = typename Out::value_type;
  std::int64_t i = 0;
  for (; i + kVector <= n; i += kVector) {
    R block[kVector];
    for (int j = 0; j < kVector; ++j) block[j] = op(in[i + j]...);
    for (int j = 0; j < kVector; ++j) out.set(i + j, block[j]);
  }
  for (; i < n; ++i) out.set(i, op(in[i]...));
}

// Runs fn(begin, end) over [0, n) in block-aligned ranges on the pool.
template <typename Fn>
void parallel_blocks(std::int64_t n, Fn&& fn) {
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  parallel_for(blocks, kGrainBlocks, [&](std::int64_t b0, std::int64_t b1) {
    fn(b0 * kBlock, std::min(n, b1 * kBlock));
  });
}

// Unary map, operand 0 the output, 1 the input, over a StridedLoop.
template <typename R, typename T, typename Op>
void map_unary(const StridedLoop& loop, R* out, const T* x, Op op) {
  const std::int64_t so = loop.inner_stride(0), sx = loop.inner_stride(1);
  parallel_blocks(loop.numel(), [&](std::int64_t begin, std::int64_t end) {
    loop.for_each_run(begin, end, [&](const std::int64_t* at, std::int64_t n) {
      if (so == 1 && sx == 1) map_run(ContiguousOut<R>{out + at[0]}, n, op, Contiguous<T>{x + at[1]});
      else map_run(StridedOut<R>{out + at[0], so}, n, op, Strided<T>{x + at[1], sx});
    });
  });
}

// Binary map, operands (out, a, b). The fast cases are the ones training runs all the
// time: same-shape operands, and a row or scalar broadcast (bias add, x * 0.5).
template <typename R, typename T, typename Op>
void map_binary(const StridedLoop& loop, R* out, const T* a, const T* b, Op op) {
  const std::int64_t so = loop.inner_stride(0), sa = loop.inner_stride(1), sb = loop.inner_stride(2);
  parallel_blocks(loop.numel(), [&](std::int64_t begin, std::int64_t end) {
    loop.for_each_run(begin, end, [&](const std::int64_t* at, std::int64_t n) {
      const T* pa = a + at[1];
      const T* pb = b + at[2];
      if (so == 1 && sa == 1 && sb == 1)
        map_run(ContiguousOut<R>{out + at[0]}, n, op, Contiguous<T>{pa}, Contiguous<T>{pb});
      else if (so == 1 && sa == 1 && sb == 0)
        map_run(ContiguousOut<R>{out + at[0]}, n, op, Contiguous<T>{pa}, Broadcast<T>{*pb});
      else if (so == 1 && sa == 0 && sb == 1)
        map_run(ContiguousOut<R>{out + at[0]}, n, op, Broadcast<T>{*pa}, Contiguous<T>{pb});
      else
        map_run(StridedOut<R>{out + at[0], so}, n, op, Strided<T>{pa, sa}, Strided<T>{pb, sb});
    });
  });
}

}  // namespace spool::kernels
