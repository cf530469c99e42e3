// Arithmetic with NumPy broadcasting, recorded on the active tapes, and sum_to /
// broadcast_to: the pair every broadcast gradient goes through.
//
//   Tensor y = ops::add(ops::mul(x, w), b);     // [N, C] * [N, C] + [C]
//   // on the tape: db = ops::sum_to(dy, b.shape()), summed over N
//
// Same dtype rules as tensor/kernels/elementwise.h (no promotion; f32 or f64 for
// gradients). Call these as ops::add(...): plain add(a, b) with `using namespace
// spool::ops` is ambiguous with spool::add, and spool::add (and the operators + - * /
// on Tensor) compute without recording.
//
// Thread-safety: as the kernels; recording goes to the calling thread's tapes.
#pragma once

#include "spool/tensor/tensor.h"

namespace spool::ops {

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

}  // namespace spool::ops
