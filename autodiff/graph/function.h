// Graph mode: trace a step once, replay it without the eager overhead (tf.function).
//
//   auto step = spool::function([&](std::span<const Tensor> in) -> std::vector<Tensor> {
//     autodiff::GradientTape tape;
//     Tensor loss = losses::sparse_categorical_crossentropy(in[1], model(in[0]), true);
//     optimizer.apply_gradients(tape.gradient(loss, model.trainable_variables()),
//                               model.trainable_variables());
//     return {loss};
//   });
//   for (auto& [x, y] : batches) Tensor loss = step({x, y})[0];
//
// The first call with a given input signature (each argument's dtype and shape) runs
// the body once as usual while recording every op it runs, the gradient sweep and the
// optimizer's update included, into a plan (graph/plan.h); later calls with that
// signature replay it on the arguments' own memory (a contiguous argument is lent to the
// plan for the call; another is copied into the plan's input buffer):
// - no tape: the backward closures the trace's tape built run as nodes in the order
//   the sweep ran them;
// - no allocation: every buffer is planned once by liveness in one arena; a call's
//   only allocations are the copies it returns (outputs are fresh tensors, as TF's);
// - with several kernel threads, the replays time how finely the small kernels split
//   (tensor/thread_pool.h's Granularity) and keep the faster, measuring again now and
//   then; the cut never changes a result;
// - the same kernels in the same order on the same thread count, so results equal
//   eager execution bitwise.
// A new signature traces again (up to max_plans plans are kept, least recently used
// dropped); retraces() counts traces, and when a function keeps retracing a warning
// names the argument whose shape or dtype keeps changing (TensorFlow's pitfall). An
// input_signature whose batch dimension is -1 accepts any batch size without that
// warning (each new size is planned once: buffers are sized by shape).
//
// Control flow: the trace records the path taken. Host code in the body runs once, at
// the trace, so the trace refuses (InvalidArgument) anything whose replay would be
// silently wrong: reading a computed or input value on the host (item(), to_vector(),
// clone(), cast()), which is how a data-dependent `if` or loop starts, and allocating
// outside a spool op (a raw kernel or factory whose result would be frozen). Branch on
// data with spool::cond and loop with spool::while_loop (graph/control_flow.h): both
// are nodes that decide at every replay. Host values the body captures (a learning
// rate in a local, a flag) are constants of the plan: a changed one needs a new
// function.
//
// Calling a function while a GradientTape records on this thread throws (a replay
// records nothing); use the tape inside the body. Variables, optimizer slots and other
// state made before the first call are shared with eager code.
//
// Thread-safety: a Function is used by one thread at a time; each replica of a
// distribution strategy makes its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool {

namespace graph::detail {
class Plan;
}

// An argument's expected dtype and shape; -1 in dims accepts any size there.
struct TensorSpec {
  DType dtype = DType::kF32;
  std::vector<std::int64_t> dims;
};

class FunctionOptions {
 public:
  FunctionOptions& name(std::string n) {
    name_ = std::move(n);
    return *this;
  }
  FunctionOptions& input_signature(std::vector<TensorSpec> s) {
    signature_ = std::move(s);
    return *this;
  }
  FunctionOptions& max_plans(std::size_t n) {
    max_plans_ = n;
    return *this;
  }
  const std::string& name() const { return name_; }
  const std::vector<TensorSpec>& input_signature() const { return signature_; }
  std::size_t max_plans() const { return max_plans_; }

 private:
  std::string name_ = "function";
  std::vector<TensorSpec> signature_;
  std::size_t max_plans_ = 8;
};

class Function {
 public:
  using Body = std::function<std::vector<Tensor>(std::span<const Tensor>)>;
  Function(Body body, FunctionOptions options = {});
  ~Function();
  Function(Function&&) noexcept;
  Function& operator=(Function&&) noexcept;

  std::vector<Tensor> operator()(std::span<const Tensor> args);
  std::vector<Tensor> operator()(std::initializer_list<Tensor> args) {
    return (*this)(std::span<const Tensor>(args.begin(), args.size()));
  }

  // How many times the body was traced.
  std::int64_t retraces() const;
  // How many plans are kept now.
  std::size_t plans() const;
  // The plan called most often (the full batches' rather than an epoch's last, partial
  // one's; a tie goes to the most recent), readable (ops, shapes, buffers, the arena),
  // and as a Graphviz digraph. Empty before the first call. With two kernel threads or
  // more, graph() ends with the parallel granularity the plan's replays chose
  // (tensor/thread_pool.h; graph/detail/granularity_tuner.h), once they have.
  std::string graph() const;
  std::string dot() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// spool::function(body): Function's maker, as tf.function.
inline Function function(Function::Body body, FunctionOptions options = {}) {
  return Function(std::move(body), std::move(options));
}

}  // namespace spool
