// Internal: the tracer that records a function's plan on one thread, and the replayer
// that runs it. Both are tensor/'s GraphHooks for their thread while they work.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "spool/autodiff/graph/plan.h"
#include "spool/tensor/graph_hooks.h"

namespace spool::graph::detail {

class Tracer final : public spool::detail::GraphHooks {
 public:
  explicit Tracer(std::string function_name);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  std::shared_ptr<Storage> allocate(std::size_t bytes) override;
  void host_read(const Storage& storage, const char* what) override;

  void begin_node(const char* name, bool planned);
  void commit_node(std::unique_ptr<NodeFn> fn, std::vector<Tensor> touched, const Tensor* result,
                   std::vector<std::shared_ptr<Storage>> also);
  void abort_node();
  void note_fused(const std::string& group);
  bool in_node() const { return depth_ > 0; }

  // A backward closure made inside the node being recorded: its backward node will
  // touch what that node touched.
  void closure_made(const void* closure);
  // What the node that made `closure` touched and allocated (empty when unknown),
  // and its name.
  std::vector<std::shared_ptr<Storage>> made_with(const void* closure) const;
  std::string made_by(const void* closure) const;

  // The storages nodes allocated so far (the plan's buffers).
  const std::unordered_set<const Storage*>& computed() const { return computed_; }

  int constant_scopes = 0;
  // Hands the plan over once the traced code returned its outputs.
  std::unique_ptr<Plan> finish(const std::vector<Tensor>& outputs);

 private:
  std::unique_ptr<Plan> plan_;
  std::string pending_name_;
  int depth_ = 0;
  std::size_t pending_buffers_ = 0;
  std::vector<char> pending_decisions_;
  bool pending_planned_ = true;
  std::string pending_fused_;
  std::unordered_set<const Storage*> computed_;   // allocated by a node
  std::unordered_set<const Storage*> constants_;  // allocated under a ConstantScope
  std::unordered_map<const void*, std::int32_t> closures_;
  spool::detail::GraphHooks* previous_;
};

// Runs a plan on this thread: each node's allocations are served its planned buffers.
class Replayer final : public spool::detail::GraphHooks {
 public:
  explicit Replayer(Plan& plan);
  ~Replayer();
  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;

  std::shared_ptr<Storage> allocate(std::size_t bytes) override;
  void host_read(const Storage&, const char*) override {}
  void run();

 private:
  Plan& plan_;
  std::size_t node_ = 0, next_ = 0;
  spool::detail::GraphHooks* previous_;
};

// The tracer of this thread (inside nodes too), or nullptr.
Tracer* current_tracer();

// While it lives this thread neither traces nor replays (hooks, tracer, the replayed
// node's decisions are set aside and restored after): control flow traces and replays
// its branches as plans of their own inside a node of the enclosing plan.
class SuspendGraph {
 public:
  SuspendGraph();
  ~SuspendGraph();
  SuspendGraph(const SuspendGraph&) = delete;
  SuspendGraph& operator=(const SuspendGraph&) = delete;

 private:
  spool::detail::GraphHooks* hooks_;
  Tracer* tracer_;
  Tracer* recording_;
  std::vector<char>* noting_;
  const std::vector<char>* replaying_;
  std::size_t replayed_;
};

// Traces `body` on `inputs` as a plan of its own (its buffers in an arena of its own,
// its results keeping what the trace computed).
std::unique_ptr<Plan> trace_plan(const std::string& name, const std::vector<Tensor>& inputs,
                                 const std::function<std::vector<Tensor>(std::span<const Tensor>)>& body);

}  // namespace spool::graph::detail
