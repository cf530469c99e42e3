// Variable: a named, trainable tensor that keeps its identity while its values change;
// VariableArena: one contiguous buffer holding every parameter of a model.
//
//   autodiff::VariableArena arena;                            // f32
//   Variable w = arena.add("dense/kernel", glorot_uniform(Shape{784, 128}, gen));
//   Variable b = arena.add("dense/bias", Tensor::zeros(Shape{128}, DType::kF32));
//   Tensor y = add(matmul(x, w), b);   // reading w on an active tape watches it
//   w.assign_sub(ops_free_update);               // in place: w stays the same tensor
//   Tensor grads = Tensor::zeros(Shape{arena.size()}, arena.dtype());  // a gradient arena
//   Tensor dw = arena.slice_of(grads, 0);         // w's part of it, shaped like w
//
// Why an arena: an optimizer updates all parameters in one loop over arena.flat() and
// moment buffers laid out alike, an all-reduce sends one buffer, a checkpoint writes
// one. Each variable starts on a 64-byte boundary; the gaps are zero.
//
// A Variable is a cheap handle: copies share the name, the values, the trainable flag
// and the identity.
// Its tensor is watched by every active tape of the thread (with
// watch_accessed_variables on) when read through value() or the conversion to
// const Tensor&; unwatched_value() reads without telling any tape (optimizers,
// checkpoints). Assigning writes in place, so a tape that saved the tensor for its
// backward sees the new values: assign after gradient(), as every training loop does.
//
// Growth: add() may move the buffer (capacity doubles) and rebinds every Variable of
// the arena to the new one; tensors read earlier keep the old values alive. Build the
// model (add every variable) before recording.
//
// Thread-safety: reading a Variable from several threads is safe; assign, and add on
// the arena, must not run concurrently with anything else on the same variable/arena.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::autodiff {

class Variable {
 public:
  Variable() = default;  // undefined: every accessor but defined() throws
  // A standalone variable owning a copy of `initial` (f32 or f64).
  Variable(std::string name, const Tensor& initial, bool trainable = true);

  bool defined() const { return state_ != nullptr; }
  const std::string& name() const;
  bool trainable() const;
  // Freezes (false) or unfreezes the variable for every copy of the handle: a frozen
  // variable is read without telling any tape and is left out of trainable_variables().
  // Layer::trainable and Model::trainable set it; not concurrent with reads.
  void trainable(bool trainable);
  const Shape& shape() const { return unwatched_value().shape(); }
  DType dtype() const { return unwatched_value().dtype(); }

  // The values, watched by the active tapes (see above).
  const Tensor& value() const;
  operator const Tensor&() const { return value(); }  // NOLINT(google-explicit-constructor)
  const Tensor& unwatched_value() const;

  // In place; `values` has this variable's dtype and broadcasts to its shape.
  void assign(const Tensor& values);
  void assign_add(const Tensor& delta);
  void assign_sub(const Tensor& delta);

 private:
  friend class VariableArena;
  struct State {
    std::string name;
    Tensor value;
    bool trainable = true;
  };
  explicit Variable(std::shared_ptr<State> state) : state_(std::move(state)) {}
  const State& state() const;

  std::shared_ptr<State> state_;
};

class VariableArena {
 public:
  explicit VariableArena(DType dtype = DType::kF32);

  // A new variable holding a copy of `initial` (cast to the arena's dtype is NOT done:
  // a different dtype throws InvalidArgument naming the variable).
  Variable add(std::string name, const Tensor& initial, bool trainable = true);

  std::span<const Variable> variables() const { return variables_; }
  std::vector<Variable> trainable_variables() const;
  DType dtype() const { return dtype_; }
  // Elements of the buffer in use, gaps included: the length of flat().
  std::int64_t size() const { return size_; }
  // Where variable i starts in the buffer.
  std::int64_t offset(std::size_t i) const;
  // The whole buffer as a 1-D view [size()].
  Tensor flat() const;
  // Variable i's part of any 1-D buffer of size() elements laid out like this arena
  // (gradients, optimizer moments), shaped like the variable; a view.
  Tensor slice_of(const Tensor& buffer, std::size_t i) const;

 private:
  void grow(std::int64_t needed);

  DType dtype_;
  std::shared_ptr<Storage> storage_;
  std::int64_t capacity_ = 0;
  std::int64_t size_ = 0;
  std::vector<Variable> variables_;
  std::vector<std::int64_t> offsets_;
};

}  // namespace spool::autodiff
