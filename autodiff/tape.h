// GradientTape: records ops as they run, then gives gradients — TensorFlow's contract.
//
//   using namespace spool;
//   autodiff::Variable w("w", random_normal(Shape{784, 10}, 0, 0.05, gen));
//   autodiff::GradientTape tape;                  // active from here on this thread
//   Tensor logits = matmul(x, w);                 // w is watched when read
//   Tensor loss = mean(pow(logits - y, 2));       // operators record like the named ops
//   std::vector<Tensor> grads = tape.gradient(loss, {w});   // d loss / d w
//
// - What is recorded: every op of spool:: (the operators + - * / included, see
//   <spool/autodiff/ops.h>) whose input the tape tracks, i.e. a tensor given to
//   watch(), a trainable Variable read while the tape is active (unless
//   TapeOptions().watch_accessed_variables(false)), or the output of a recorded op.
//   With no tape active, an op pays one thread-local check for this.
// - What is not recorded, so no gradient flows through it: the raw kernels
//   (spool::kernels::add and kin, which exist for code that wants no tape), Tensor's
//   own methods that make views or copies (x.reshape, x.slice, x.transpose: call
//   reshape(x, ...), slice(x, ...), transpose(x, ...) to keep the gradient; x.cast,
//   x.clone), integer and u8
//   tensors (only f32/f64 are tracked; comparisons and argmax give masks and indices,
//   which have no gradient in TensorFlow either), and anything under stop_recording()
//   or stop_gradient(). A source reached only through those gets an undefined
//   gradient, which the optimizers report by name rather than skip silently
//   (optim/optimizer.h: missing_gradients).
// - gradient(target, sources): the gradient of sum(target) (as TF for a non-scalar
//   target) w.r.t. each source, shaped like it. A source the target does not depend on
//   gets an undefined Tensor, or zeros with UnconnectedGradients::kZero.
//   A gradient may be a read-only view (a broadcast dy has stride 0): clone() it
//   before writing into it.
// - A tape that is not persistent frees each op's saved tensors as its backward sweep
//   passes them, so it gives one gradient() (or jacobian()) and stops recording; a
//   second call throws InvalidArgument. TapeOptions().persistent(true) keeps them.
// - Nested tapes: every active tape records the ops that touch what it tracks, and
//   backward closures are built from recorded ops, so an outer tape records the inner
//   tape's gradient computation: outer.gradient(inner.gradient(y, {x})[0], {x}) is
//   the second derivative. A tape does not record its own gradient() sweep.
// - stop_recording() pauses this tape for a scope; stop_gradient(t) hides t from all.
//
// Lifetime: a tape is active from construction to destruction on the thread that made
// it, and must be destroyed on that thread (scopes do it; order does not matter).
// Thread-safety: each thread has its own stack of active tapes, so replicas running
// on different threads record independently. A tape is used by one thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "spool/autodiff/variable.h"
#include "spool/tensor/tensor.h"

namespace spool::autodiff {

enum class UnconnectedGradients { kNone, kZero };

class TapeOptions {
 public:
  TapeOptions& persistent(bool p) {
    persistent_ = p;
    return *this;
  }
  TapeOptions& watch_accessed_variables(bool w) {
    watch_accessed_variables_ = w;
    return *this;
  }
  bool persistent() const { return persistent_; }
  bool watch_accessed_variables() const { return watch_accessed_variables_; }

 private:
  bool persistent_ = false;
  bool watch_accessed_variables_ = true;
};

namespace detail {
class TapeImpl;
}

class GradientTape {
 public:
  explicit GradientTape(const TapeOptions& options = {});
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  // Tracks t (f32/f64, else InvalidArgument) from now on; watching twice is harmless.
  void watch(const Tensor& t);
  void watch(const Variable& v);

  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::kNone);
  std::vector<Tensor> gradient(const Tensor& target, std::span<const Variable> sources,
                               UnconnectedGradients unconnected = UnconnectedGradients::kNone);
  // TF's output_gradients: the gradient of sum(target * output_gradient), so a caller
  // can chain a gradient it computed elsewhere. Same shape and dtype as target.
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources, const Tensor& output_gradient,
                               UnconnectedGradients unconnected = UnconnectedGradients::kNone);

  // J[i..., j...] = d target[i...] / d source[j...]: shape target.shape + source.shape.
  // Undefined when unconnected with kNone.
  Tensor jacobian(const Tensor& target, const Tensor& source,
                  UnconnectedGradients unconnected = UnconnectedGradients::kNone);
  // For target [B, i...] whose row b depends only on row b of source [B, j...]:
  // J[b, i..., j...] = d target[b, i...] / d source[b, j...], one sweep per i.
  Tensor batch_jacobian(const Tensor& target, const Tensor& source,
                        UnconnectedGradients unconnected = UnconnectedGradients::kNone);

  // While the returned guard lives, this tape records nothing (other tapes still do).
  class StopRecording {
   public:
    explicit StopRecording(detail::TapeImpl* tape);
    ~StopRecording();
    StopRecording(const StopRecording&) = delete;
    StopRecording& operator=(const StopRecording&) = delete;

   private:
    detail::TapeImpl* tape_;
  };
  [[nodiscard]] StopRecording stop_recording();

  bool persistent() const;
  // How many ops the tape holds (for tests and memory checks).
  std::int64_t recorded_ops() const;

 private:
  // One sweep per seed r, with ones at r, r + stride, ... (count of them); the
  // gradients stacked along `axis` and shaped `dims`.
  Tensor stacked_sweeps(const Tensor& target, const Tensor& source, std::int64_t seeds, std::int64_t stride,
                        std::int64_t count, std::int64_t axis, const std::vector<std::int64_t>& dims,
                        UnconnectedGradients unconnected);

  std::unique_ptr<detail::TapeImpl> impl_;
};

// The same values with a new identity that no tape tracks: gradients stop here.
// A view when t is contiguous, else a contiguous copy.
Tensor stop_gradient(const Tensor& t);

}  // namespace spool::autodiff
