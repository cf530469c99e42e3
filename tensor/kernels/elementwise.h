// Elementwise ops: unary math, binary arithmetic with NumPy broadcasting,
// comparisons, where, and in-place updates for optimizers.
//
//   Tensor y = relu(x * w + bias);                  // [N, C] * [N, C] + [C]
//   Tensor mask = greater(logits, 0.0);              // u8 0/1, broadcast like add
//   Tensor z = where(mask, logits, 0.0);
//   axpy_(param, -learning_rate, grad);              // param += -lr * grad, in place
//
// Type rule (explicit, no promotion): both tensor operands must have the same dtype,
// else InvalidArgument "add: dtype mismatch f32 vs f64". Cast first with
// Tensor::cast. A scalar (double) operand takes the tensor's dtype; for integer
// dtypes it must be an integer in range (add(i32_tensor, 2.5) throws rather than
// silently truncate). Comparisons return u8 0/1; where's condition must be u8.
//
// Dtypes: add, sub, mul, maximum, minimum and comparisons take any dtype (integers wrap
// modulo 2^bits, never undefined behaviour); div and pow take f32/f64 (integer
// division would need a rounding rule and a divide-by-zero policy: cast first); neg,
// abs, sign, square, relu take i32/i64/f32/f64; exp, log, sqrt, rsqrt, tanh, sigmoid
// take f32/f64. maximum/minimum propagate NaN, as NumPy and torch do.
//
// Results are new contiguous tensors, computed element by element with no
// reassociation, so they are bitwise the same for any thread count. Operands may
// have any strides (transposed, sliced, broadcast views).
//
// Thread-safety: calls may run concurrently; an in-place op writes its first argument,
// which the caller must not read or write elsewhere at the same time. Large tensors are
// split over the process-wide pool (thread_pool.h).
#pragma once

#include "spool/tensor/tensor.h"

namespace spool::kernels {

// --- unary -------------------------------------------------------------------------
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);    // -1, 0 or 1 (NaN stays NaN, ±0 keep their sign)
Tensor square(const Tensor& x);
Tensor relu(const Tensor& x);    // max(x, 0); NaN stays NaN
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);   // 1 / sqrt(x)
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);  // 1 / (1 + exp(-x)): 0 and 1 at the far ends, no NaN

// --- binary, broadcasting ----------------------------------------------------------
// InvalidArgument "add: cannot broadcast shapes [2, 3] and [4]" when shapes do not fit.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);

// With a scalar on either side; the scalar takes the tensor's dtype (see above).
Tensor add(const Tensor& a, double b);
Tensor add(double a, const Tensor& b);
Tensor sub(const Tensor& a, double b);
Tensor sub(double a, const Tensor& b);
Tensor mul(const Tensor& a, double b);
Tensor mul(double a, const Tensor& b);
Tensor div(const Tensor& a, double b);
Tensor div(double a, const Tensor& b);
Tensor maximum(const Tensor& a, double b);
Tensor minimum(const Tensor& a, double b);
Tensor pow(const Tensor& a, double b);

// A 0-d tensor of `dtype` holding `value`; InvalidArgument naming `op` when an integer
// dtype cannot hold it exactly.
Tensor scalar_like(double value, DType dtype, std::string_view op);

// --- comparisons (u8 0/1 results, broadcasting) ------------------------------------
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, double b);
Tensor not_equal(const Tensor& a, double b);
Tensor less(const Tensor& a, double b);
Tensor less_equal(const Tensor& a, double b);
Tensor greater(const Tensor& a, double b);
Tensor greater_equal(const Tensor& a, double b);

// cond ? a : b elementwise; cond is u8 (nonzero = true), a and b share a dtype, and
// all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, double b);
Tensor where(const Tensor& cond, double a, const Tensor& b);

// --- in place (for optimizers) -----------------------------------------------------
// out op= x, with x broadcast to out's shape (out never grows). out may be any view
// whose elements do not overlap (no stride-0 axis of extent > 1); x may alias out.
// Returns out. Same dtype rules as the out-of-place ops.
Tensor& add_(Tensor& out, const Tensor& x);
Tensor& sub_(Tensor& out, const Tensor& x);
Tensor& mul_(Tensor& out, const Tensor& x);
Tensor& div_(Tensor& out, const Tensor& x);
Tensor& add_(Tensor& out, double x);
Tensor& mul_(Tensor& out, double x);
// out += alpha * x (f32/f64): the SGD step and the moment updates of Adam.
Tensor& axpy_(Tensor& out, double alpha, const Tensor& x);

}  // namespace spool::kernels
