#include "spool/autodiff/graph/trace.h"

#include <cstdlib>
#include <functional>
#include <utility>

#include "spool/autodiff/graph/detail/backward_node.h"
#include "spool/autodiff/graph/detail/plan_memory.h"
#include "spool/autodiff/graph/detail/tracer.h"
#include "spool/tensor/error.h"

namespace spool::graph {
namespace detail {
namespace {

thread_local Tracer* t_tracer = nullptr;
thread_local Tracer* t_recording = nullptr;  // t_tracer while outside any node
thread_local std::vector<char>* t_noting = nullptr;  // the traced node's recording decisions
thread_local const std::vector<char>* t_replaying = nullptr;  // the replayed node's
thread_local std::size_t t_replayed = 0;                      // how many it gave back

std::string describe_result(const Tensor* t) {
  if (t == nullptr || !t->defined()) return {};
  return std::string(dtype_name(t->dtype())) + t->shape().to_string();
}

}  // namespace

Tracer* recording_tracer() { return t_recording; }
Tracer* current_tracer() { return t_tracer; }

Tracer::Tracer(std::string function_name) : plan_(std::make_unique<Plan>()) {
  SPOOL_CHECK(t_tracer == nullptr, InvalidArgument, "spool::function ", quoted(function_name),
              " was called while this thread traces another function: call it outside, or let the other ",
              "function's body call the plain code");
  plan_->name = std::move(function_name);
  previous_ = spool::detail::set_graph_hooks(this);
  t_tracer = t_recording = this;
}

Tracer::~Tracer() {
  spool::detail::set_graph_hooks(previous_);
  t_tracer = t_recording = nullptr;
}

std::shared_ptr<Storage> Tracer::allocate(std::size_t bytes) {
  if (depth_ > 0 && !pending_planned_) return spool::detail::allocate_unhooked(bytes);
  if (depth_ == 0) {
    SPOOL_CHECK(constant_scopes > 0, InvalidArgument, "spool::function ", quoted(plan_->name),
                ": a tensor of ", bytes, " bytes was allocated outside any spool op (a raw kernel, a Tensor factory "
                "or a copy called directly in the traced code); a replay would not compute it again. Use spool ops, "
                "or make constants before the function (or inside graph::ConstantScope)");
    auto storage = spool::detail::allocate_unhooked(bytes);
    constants_.insert(storage.get());
    plan_->constants.push_back(storage);
    return storage;
  }
  // Bytes of their own (not the control block's), so the planner can move them; large
  // ones straight from the kernel, so that their memory leaves the process when the
  // planner frees them (plan_memory.h says why).
  auto storage = allocate_movable(bytes);
  computed_.insert(storage.get());
  PlanBuffer buffer;
  buffer.storage = storage;
  buffer.bytes = bytes;
  buffer.node = static_cast<std::int32_t>(plan_->nodes.size());
  plan_->buffers.push_back(std::move(buffer));
  return storage;
}

void Tracer::host_read(const Storage& storage, const char* what) {
  if (depth_ > 0 || constants_.contains(&storage)) return;
  SPOOL_THROW(InvalidArgument, "spool::function ", quoted(plan_->name), ": the traced code reads a tensor's values on "
              "the host (", what, "); host code runs once, at the trace, so every replay would reuse this value. "
              "Return the tensor from the function and read it after the call, or branch with spool::cond / "
              "spool::while_loop");
}

void Tracer::begin_node(const char* name, bool planned) {
  if (depth_++ > 0) return;
  pending_planned_ = planned;
  t_recording = nullptr;
  pending_name_ = name;
  pending_buffers_ = plan_->buffers.size();
  pending_decisions_.clear();
  pending_fused_.clear();
  t_noting = &pending_decisions_;
}

void Tracer::commit_node(std::unique_ptr<NodeFn> fn, std::vector<Tensor> touched, const Tensor* result,
                         std::vector<std::shared_ptr<Storage>> also) {
  if (--depth_ > 0) return;
  t_recording = this;
  t_noting = nullptr;
  PlanNode node;
  node.name = std::move(pending_name_);
  node.fn = std::move(fn);
  for (const Tensor& t : touched)
    if (t.defined()) node.touched.push_back(t.storage());
  for (auto& s : also) node.touched.push_back(std::move(s));
  node.buffers_begin = pending_buffers_;
  node.buffers_end = plan_->buffers.size();
  node.result = describe_result(result);
  node.decisions = std::move(pending_decisions_);
  node.planned = pending_planned_;
  node.fused = std::move(pending_fused_);
  plan_->nodes.push_back(std::move(node));
}

void Tracer::note_fused(const std::string& group) {
  pending_fused_ += (pending_fused_.empty() ? "" : ", ") + group;
}

void Tracer::abort_node() {
  if (--depth_ > 0) return;
  t_recording = this;
  t_noting = nullptr;
}

void Tracer::closure_made(const void* closure) {
  // An address may be reused by a closure made outside any node: forget the old one.
  if (depth_ > 0) closures_[closure] = static_cast<std::int32_t>(plan_->nodes.size());
  else closures_.erase(closure);
}

std::vector<std::shared_ptr<Storage>> Tracer::made_with(const void* closure) const {
  const auto it = closures_.find(closure);
  if (it == closures_.end() || it->second >= static_cast<std::int32_t>(plan_->nodes.size())) return {};
  const PlanNode& node = plan_->nodes[static_cast<std::size_t>(it->second)];
  std::vector<std::shared_ptr<Storage>> out = node.touched;
  for (std::size_t b = node.buffers_begin; b < node.buffers_end; ++b) out.push_back(plan_->buffers[b].storage);
  return out;
}

std::string Tracer::made_by(const void* closure) const {
  const auto it = closures_.find(closure);
  if (it == closures_.end() || it->second >= static_cast<std::int32_t>(plan_->nodes.size())) return "backward";
  return "grad(" + plan_->nodes[static_cast<std::size_t>(it->second)].name + ")";
}

std::unique_ptr<Plan> Tracer::finish(const std::vector<Tensor>& outputs) {
  plan_->outputs = outputs;
  return std::move(plan_);
}

SuspendGraph::SuspendGraph()
    : hooks_(spool::detail::set_graph_hooks(nullptr)),
      tracer_(std::exchange(t_tracer, nullptr)),
      recording_(std::exchange(t_recording, nullptr)),
      noting_(std::exchange(t_noting, nullptr)),
      replaying_(std::exchange(t_replaying, nullptr)),
      replayed_(t_replayed) {}

SuspendGraph::~SuspendGraph() {
  spool::detail::set_graph_hooks(hooks_);
  t_tracer = tracer_;
  t_recording = recording_;
  t_noting = noting_;
  t_replaying = replaying_;
  t_replayed = replayed_;
}

std::unique_ptr<Plan> trace_plan(const std::string& name, const std::vector<Tensor>& inputs,
                                 const std::function<std::vector<Tensor>(std::span<const Tensor>)>& body) {
  std::unique_ptr<Plan> plan;
  {
    Tracer tracer(name);
    plan = tracer.finish(body(inputs));
  }
  plan->inputs = inputs;
  plan->allocate_arena();
  return plan;
}

NodeScope::NodeScope(Tracer& tracer, const char* name, bool planned) : tracer_(tracer) {
  tracer_.begin_node(name, planned);
}

NodeScope::~NodeScope() {
  if (!committed_) tracer_.abort_node();
}

void NodeScope::commit(std::unique_ptr<NodeFn> fn, std::vector<Tensor> touched, const Tensor* result,
                       std::vector<std::shared_ptr<Storage>> also) {
  committed_ = true;
  tracer_.commit_node(std::move(fn), std::move(touched), result, std::move(also));
}

Replayer::Replayer(Plan& plan) : plan_(plan) { previous_ = spool::detail::set_graph_hooks(this); }

Replayer::~Replayer() { spool::detail::set_graph_hooks(previous_); }

std::shared_ptr<Storage> Replayer::allocate(std::size_t bytes) {
  const PlanNode& node = plan_.nodes[node_];
  if (!node.planned) return spool::detail::allocate_unhooked(bytes);
  SPOOL_CHECK(next_ < node.buffers_end && plan_.buffers[next_].bytes == bytes, InternalError, "spool::function ",
              quoted(plan_.name), ": node #", node_, " (", node.name, ") allocated ", bytes, " bytes where its trace ",
              next_ < node.buffers_end ? "allocated " + std::to_string(plan_.buffers[next_].bytes) + " bytes"
                                       : std::string("made no more allocations"),
              ": the op does not repeat itself for the same input shapes");
  return plan_.buffers[next_++].storage;
}

void Replayer::run() {
  struct Reset {  // a plan replayed inside another's node gives it its decisions back
    const std::vector<char>* replaying = t_replaying;
    std::size_t replayed = t_replayed;
    ~Reset() {
      t_replaying = replaying;
      t_replayed = replayed;
    }
  } reset;
  for (node_ = 0; node_ < plan_.nodes.size(); ++node_) {
    const PlanNode& node = plan_.nodes[node_];
    next_ = node.buffers_begin;
    t_replaying = &node.decisions;
    t_replayed = 0;
    node.fn->run();
    SPOOL_CHECK(!node.planned || (next_ == node.buffers_end && t_replayed == node.decisions.size()), InternalError, "spool::function ",
                quoted(plan_.name), ": node #", node_, " (", node.name, ") made ", next_ - node.buffers_begin,
                " allocations and asked ", t_replayed, " times whether a tape records, where its trace made ",
                node.buffers_end - node.buffers_begin, " and asked ", node.decisions.size(),
                ": the op does not repeat itself for the same input shapes");
  }
}

}  // namespace detail

void record_node(const char* name, std::function<void()> body, std::vector<Tensor> touched,
                 NodeAllocations allocations) {
  detail::Tracer* tracer = detail::recording_tracer();
  if (tracer == nullptr) {
    body();
    return;
  }
  detail::NodeScope scope(*tracer, name, allocations == NodeAllocations::kPlanned);
  body();
  scope.commit(std::make_unique<detail::NodeImpl<std::function<void()>>>(std::move(body)), std::move(touched),
               nullptr);
}

ConstantScope::ConstantScope() : tracer_(detail::current_tracer()) {
  if (tracer_ != nullptr) ++tracer_->constant_scopes;
}

ConstantScope::~ConstantScope() {
  if (tracer_ != nullptr) --tracer_->constant_scopes;
}

void note_fused(const std::string& group) {
  if (detail::Tracer* tracer = detail::current_tracer(); tracer != nullptr && tracer->in_node()) tracer->note_fused(group);
}

bool is_tracing() { return detail::current_tracer() != nullptr; }

bool in_graph() { return detail::current_tracer() != nullptr || detail::t_replaying != nullptr; }

}  // namespace spool::graph

namespace spool::graph::detail {

void note_decision(bool recording) {
  if (t_noting != nullptr) [[unlikely]]
    t_noting->push_back(recording ? 1 : 0);
}

int replayed_decision() {
  if (t_replaying == nullptr) [[likely]]
    return -1;
  SPOOL_CHECK(t_replayed < t_replaying->size(), InternalError,
              "spool::function: a replayed op asked whether a tape records more often than at its trace");
  return (*t_replaying)[t_replayed++];
}

void closure_made(const void* closure) {
  if (Tracer* tracer = current_tracer()) tracer->closure_made(closure);
}

void record_backward(const std::shared_ptr<autodiff::detail::BackwardFn>& fn, const Tensor& dy, std::vector<Tensor>& dx,
                     const std::vector<char>& needs) {
  Tracer& tracer = *current_tracer();
  const std::string name = tracer.made_by(fn.get());
  std::vector<std::shared_ptr<Storage>> made_with = tracer.made_with(fn.get());
  NodeScope scope(tracer, name.c_str());
  {
    autodiff::GradContext g(dy, dx, needs);
    fn->run(g);
  }
  struct Replay {
    std::shared_ptr<autodiff::detail::BackwardFn> fn;
    Tensor dy;
    std::vector<char> needs;
    std::vector<Tensor> dx;
    void operator()() {
      dx.assign(needs.size(), Tensor());
      autodiff::GradContext g(dy, dx, needs);
      fn->run(g);
      for (Tensor& t : dx) t = Tensor();  // the buffers stay the plan's; drop the handles
    }
  };
  scope.commit(std::make_unique<NodeImpl<Replay>>(Replay{fn, dy, needs, {}}), {dy}, nullptr, std::move(made_with));
}

}  // namespace spool::graph::detail
