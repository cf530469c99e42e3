// Recording: how an op joins the active GradientTapes — the one API every op with a
// gradient uses (spool::ops, and later fused layer ops).
//
//   Tensor mul(const Tensor& a, const Tensor& b) {
//     Tensor y = spool::kernels::mul(a, b);                      // forward: the fast kernel
//     if (autodiff::Recording rec{a, b})               // does an active tape track a or b?
//       rec.record(y, [a, b](autodiff::GradContext& g) {  // runs inside tape.gradient()
//         if (g.needs(0)) g.dx(0) = sum_to(mul(g.dy(), b), a.shape());
//         if (g.needs(1)) g.dx(1) = sum_to(mul(g.dy(), a), b.shape());
//       });
//     return y;
//   }
//
// The backward closure is built only when some tape records, and it captures only
// what the gradient needs (here a and b; add captures two shapes, exp its output).
// It computes input gradients from  calls, so when an outer tape is recording
// while an inner tape runs its backward sweep, the gradient computation is itself
// recorded: that is how nested tapes give second derivatives. A backward that has a
// fused kernel with no gradient of its own may use it when !is_recording().
//
// Identity: the tape knows a tensor by its Storage object and its layout (offset,
// shape, strides, dtype). Copies of a Tensor are therefore the same tensor to the
// tape; a view made with Tensor's own methods (reshape, slice, ...) is a different,
// untracked tensor — use the  versions to keep the gradient flowing.
//
// Thread-safety: tapes are per thread; a Recording is used on the thread that made it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::autodiff {

// What a backward closure sees: the gradient of its output, and one slot per input.
class GradContext {
 public:
  GradContext(const Tensor& dy, std::span<Tensor> dx, std::span<const char> needs) : dy_(dy), dx_(dx), needs_(needs) {}
  // The gradient w.r.t. the op's output (same shape and dtype as the output).
  const Tensor& dy() const { return dy_; }
  std::size_t inputs() const { return dx_.size(); }
  // Whether input i leads to a source of this gradient() call: skip the others.
  bool needs(std::size_t i) const { return needs_[i] != 0; }
  // Input i's gradient, shaped like input i; left undefined it counts as zero.
  Tensor& dx(std::size_t i) { return dx_[i]; }

 private:
  const Tensor& dy_;
  std::span<Tensor> dx_;
  std::span<const char> needs_;
};

namespace detail {

// A type-erased backward closure: one allocation per recorded op, shared by every
// tape that records it.
struct BackwardFn {
  virtual ~BackwardFn() = default;
  virtual void run(GradContext& g) = 0;
};
template <typename F>
struct BackwardImpl final : BackwardFn {
  explicit BackwardImpl(F f) : fn(std::move(f)) {}
  void run(GradContext& g) override { fn(g); }
  F fn;
};

class TapeImpl;

// A tensor's identity on the tape (see "Identity" above).
struct TensorKey {
  const void* storage = nullptr;
  std::uint64_t layout = 0;
  friend bool operator==(const TensorKey&, const TensorKey&) = default;
};
TensorKey key_of(const Tensor& t);

}  // namespace detail

// Whether any tape of this thread would record an op now (one is active and not
// paused). Backward closures use it to pick a fused kernel when nothing records.
bool is_recording();

class Recording {
 public:
  Recording(std::initializer_list<std::reference_wrapper<const Tensor>> inputs);
  explicit Recording(std::span<const Tensor> inputs);
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  // True when at least one active tape tracks one of the inputs (in a replay of a
  // traced function: when one did at the trace, though nothing records now).
  explicit operator bool() const { return !tapes_.empty() || replayed_; }

  // Records `output` = op(inputs) with `backward` on every tape that tracks an input.
  // Call at most once. An output that is one of the inputs (an identity, such as
  // reshape to the same shape) is not recorded: it already is that tensor.
  template <typename F>
  void record(const Tensor& output, F&& backward) {
    if (tapes_.empty()) return;
    commit(output, std::make_shared<detail::BackwardImpl<std::decay_t<F>>>(std::forward<F>(backward)));
  }

 private:
  template <typename Inputs>
  void start(const Inputs& inputs);
  void begin(std::span<const Tensor* const> inputs);
  void commit(const Tensor& output, std::shared_ptr<detail::BackwardFn> backward);

  // Per participating tape, its ids of the inputs (-1: not tracked), tape-major.
  std::vector<detail::TapeImpl*> tapes_;
  std::vector<std::int32_t> ids_;
  std::size_t inputs_ = 0;
  bool replayed_ = false;
};

// Records `output` = f(inputs) for a result whose own gradient is not implemented
// (a fused backward kernel): an outer tape whose gradient() reaches it throws
// Unimplemented naming `what`, rather than silently missing a term.
void record_without_gradient(const Tensor& output, std::initializer_list<std::reference_wrapper<const Tensor>> inputs,
                             const char* what);

}  // namespace spool::autodiff
