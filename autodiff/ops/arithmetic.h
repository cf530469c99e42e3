// Arithmetic with NumPy broadcasting, recorded on the active tapes, the operators
// + - * / on Tensor, and sum_to / broadcast_to: the pair every broadcast gradient goes
// through.
//
//   Tensor y = x * w + b;                  // [N, C] * [N, C] + [C], recorded
//   Tensor z = add(mul(x, w), b);          // the same ops by name
//   // on the tape: db = sum_to(dy, b.shape()), summed over N
//
// Same dtype rules as tensor/kernels/elementwise.h (no promotion; f32 or f64 for
// gradients). These are the only add, mul, ... in spool::; the raw kernels they call
// are spool::kernels::add and kin, which never record. With no tape active, recording
// costs one thread-local check (bench_kernels' elementwise rows show it).
//
// No compound assignment (+=): a Tensor copy aliases its storage, so `a += b` would
// silently write through every copy; kernels::add_ and kin say so in their name.
//
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/tensor.h"

namespace spool {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);

// A scalar takes the tensor's dtype.
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);

// x summed back to `shape` (which broadcasts to x's shape); x itself when the shapes
// are equal. Its gradient is broadcast_to, and broadcast_to's is sum_to.
Tensor sum_to(const Tensor& x, const Shape& shape);
// A read-only view with stride 0 on the broadcast axes; x itself when equal.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

// The operators are the named ops above, so `x * x` is recorded like mul(x, x).
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, double b) { return div(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(double a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(double a, const Tensor& b) { return div(a, b); }

}  // namespace spool
