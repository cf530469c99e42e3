// Recording for graph mode: how an op becomes a node of a traced function's plan.
//
//   Tensor add(const Tensor& a, const Tensor& b) {
//     SPOOL_GRAPH_OP(add, a, b);     // while tracing: record add(a, b) as a node, return
//     Tensor y = kernels::add(a, b); // the eager body, which a node reruns at each replay
//     ...
//   }
//
// While a function is traced (graph/function.h), an op that begins with SPOOL_GRAPH_OP
// runs its own body once, as a node: the body's allocations become the node's planned
// buffers and the node keeps copies of its arguments (tensors share storage, so these
// are the very buffers other nodes write). A replay reruns each node's body with the
// same arguments, and every allocation the body makes is handed the buffer the trace
// planned for it, so the body writes where its consumers read. Inside a node nothing
// is recorded again (an op built from other ops is one node). Outside a trace the
// macro costs one thread-local load.
//
// An op must not alias a node's bytes under a Storage of its own (Storage::wrap of
// another tensor's data): the planner moves each node's bytes into the arena after
// the trace and the alias would not follow (stop_gradient copies while traced).
//
// What a trace refuses, so that no replay is silently wrong (trace.cc says how):
// - an allocation outside any node (a raw kernel or a factory called directly in the
//   traced code: it would not be recomputed), unless inside graph::ConstantScope;
// - reading a value on the host (item(), to_vector(), clone(), cast()) outside a node:
//   host code runs once, at the trace.
#pragma once

#include <cstddef>
#include <memory>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::graph {

namespace detail {

// What a node reruns at each replay.
struct NodeFn {
  virtual ~NodeFn() = default;
  virtual void run() = 0;
};
template <typename F>
struct NodeImpl final : NodeFn {
  explicit NodeImpl(F f) : fn(std::move(f)) {}
  void run() override { fn(); }
  F fn;
};

class Tracer;

// The tracer recording on this thread, when code runs outside any node; else nullptr.
Tracer* recording_tracer();

// A node being recorded: allocations made while it lives belong to it. commit() adds
// it to the plan; destroyed uncommitted (its body threw), it is dropped.
class NodeScope {
 public:
  NodeScope(Tracer& tracer, const char* name, bool planned = true);
  ~NodeScope();
  NodeScope(const NodeScope&) = delete;
  NodeScope& operator=(const NodeScope&) = delete;
  // `touched`: the tensors the node reads or writes besides its own allocations.
  // `result`: the node's main output when it has one (for printing the plan);
  // `also`: storages it touches that no tensor argument names.
  void commit(std::unique_ptr<NodeFn> fn, std::vector<Tensor> touched, const Tensor* result,
              std::vector<std::shared_ptr<Storage>> also = {});

 private:
  Tracer& tracer_;
  bool committed_ = false;
};

// How an argument is kept by a node: a span or initializer list becomes a vector (the
// caller's array is gone at the replay), anything else a copy.
template <typename T>
struct Kept {
  using type = std::decay_t<T>;
};
template <>
struct Kept<std::span<const Tensor>> {
  using type = std::vector<Tensor>;
};
template <>
struct Kept<std::initializer_list<Tensor>> {
  using type = std::vector<Tensor>;
};

inline void collect(std::vector<Tensor>& out, const Tensor& t) {
  if (t.defined()) out.push_back(t);
}
inline void collect(std::vector<Tensor>& out, std::span<const Tensor> ts) {
  for (const Tensor& t : ts) collect(out, t);
}
inline void collect(std::vector<Tensor>& out, const std::vector<Tensor>& ts) { collect(out, std::span<const Tensor>(ts)); }
inline void collect(std::vector<Tensor>& out, const std::optional<Tensor>& t) {
  if (t) collect(out, *t);
}
// Arguments that are not tensors (shapes, options, scalars) touch no buffer.
template <typename T>
  requires(!std::is_convertible_v<const T&, const Tensor&> && !std::is_convertible_v<const T&, std::span<const Tensor>>)
void collect(std::vector<Tensor>&, const T&) {}

template <typename R>
const Tensor* main_result(const R& r) {
  if constexpr (std::is_same_v<R, Tensor>) return &r;
  else return nullptr;
}

}  // namespace detail

// Runs f(args...) now and, as SPOOL_GRAPH_OP's expansion, records it as one node of
// the function this thread traces (call only when recording_tracer() is not null).
template <typename F, typename... Args>
auto record_op(const char* name, F f, const Args&... args) {
  detail::NodeScope scope(*detail::recording_tracer(), name);
  auto kept = std::make_tuple(typename detail::Kept<Args>::type(args)...);
  auto result = std::apply(f, kept);
  std::vector<Tensor> touched;
  std::apply([&](const auto&... a) { (detail::collect(touched, a), ...); }, kept);
  auto replay = [f, kept = std::move(kept)] { (void)std::apply(f, kept); };
  scope.commit(std::make_unique<detail::NodeImpl<decltype(replay)>>(std::move(replay)), std::move(touched),
               detail::main_result(result));
  return result;
}

// How a node's allocations are served: planned buffers (an op's outputs), or the
// allocator as in eager code, for a node that keeps what it allocates or allocates
// differently from one run to the next (the optimizer's update, whose all-reduce under
// a strategy keeps its buffers and runs its share of the work on whichever replica).
enum class NodeAllocations { kPlanned, kUnplanned };

// A node for code that is not a spool op (an optimizer's update, a variable's assign):
// `body` runs now and at every replay; `touched` lists the tensors it reads or writes.
void record_node(const char* name, std::function<void()> body, std::vector<Tensor> touched,
                 NodeAllocations allocations = NodeAllocations::kPlanned);

// While it lives, allocations outside any node are allowed and kept as constants of
// the plan (a gradient's seed of ones, an optimizer's slots created at its first step).
class ConstantScope {
 public:
  ConstantScope();
  ~ConstantScope();
  ConstantScope(const ConstantScope&) = delete;
  ConstantScope& operator=(const ConstantScope&) = delete;

 private:
  detail::Tracer* tracer_;
};

// Names the kernels the node being traced runs as one (a GEMM with its bias and
// activation in the epilogue: "matmul+bias+relu"); the plan prints them as the node's
// fused group. Does nothing outside a trace.
void note_fused(const std::string& group);

// Whether this thread is tracing a function right now (outside or inside a node).
bool is_tracing();
// Whether this thread traces or replays a function: an op that must behave alike in
// both (stop_gradient copies rather than aliases) asks this.
bool in_graph();

}  // namespace spool::graph

// The first line of an op with a tensor result: while this thread traces a function,
// records `fn(args...)` as one node and returns its result.
#define SPOOL_GRAPH_OP(fn, ...)                                                           \
  if (::spool::graph::detail::recording_tracer() != nullptr) [[unlikely]]                 \
  return ::spool::graph::record_op(                                                       \
      #fn, [](const auto&... spool_graph_args) { return fn(spool_graph_args...); }, __VA_ARGS__)
