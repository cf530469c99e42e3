// Internal to tensor/kernels: four floats (or int32s) as one value, for the channel loops
// whose auto-vectorisation GCC 12 refuses or drops depending on -O2 vs -O3.
//
//   simd::F32x4 v = simd::load(p), best = simd::load(q);
//   best = simd::take_where(v > best, v, best);  // v > best ? v : best, per lane
//
// GCC's and Clang's vector extensions at the width every x86-64 has (one SSE2 register;
// wider vectors are "expanded piecewise" into scalar code without AVX, so kernels run
// several of these side by side instead). Each lane computes exactly what the scalar
// expression computes, so a vector block and a scalar tail agree bit for bit.
// Comparisons give an I32x4 mask with lanes -1 (true) or 0. Not a public header.
#pragma once

#include <cstdint>
#include <cstring>

namespace spool::kernels::simd {

inline constexpr std::int64_t kWidth = 4;

typedef float F32x4 __attribute__((vector_size(16)));
typedef std::int32_t I32x4 __attribute__((vector_size(16)));

// memcpy: no alignment or aliasing assumption; compiles to unaligned loads and stores.
inline F32x4 load(const float* p) {
  F32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, F32x4 v) { std::memcpy(p, &v, sizeof v); }

inline F32x4 take_where(I32x4 mask, F32x4 a, F32x4 b) {
  return reinterpret_cast<F32x4>((reinterpret_cast<I32x4>(a) & mask) | (reinterpret_cast<I32x4>(b) & ~mask));
}
inline I32x4 take_where(I32x4 mask, I32x4 a, I32x4 b) { return (a & mask) | (b & ~mask); }

}  // namespace spool::kernels::simd
