#include "spool/autodiff/graph/control_flow.h"

#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>

#include "spool/autodiff/graph/detail/tracer.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/record.h"
#include "spool/tensor/error.h"

namespace spool {
namespace {

using graph::detail::Plan;

bool truth(const Tensor& pred, const char* who) {
  SPOOL_CHECK(pred.defined() && pred.numel() == 1, InvalidArgument, who, ": the predicate must have one element, got ",
              pred.defined() ? pred.shape().to_string() : std::string("an undefined tensor"));
  return pred.item_as_double() != 0;
}

void check_same(const std::vector<Tensor>& got, const std::vector<Tensor>& want, const char* who, const char* what) {
  SPOOL_CHECK(got.size() == want.size(), InvalidArgument, who, ": ", what, " returns ", got.size(), " tensors, expected ",
              want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    SPOOL_CHECK(got[i].defined() && got[i].dtype() == want[i].dtype() && got[i].shape() == want[i].shape(),
                InvalidArgument, who, ": ", what, "'s result ", i, " is ",
                got[i].defined() ? std::string(dtype_name(got[i].dtype())) + got[i].shape().to_string() : "undefined",
                ", expected ", dtype_name(want[i].dtype()), want[i].shape().to_string());
}

void copy(const Tensor& dst, const Tensor& src) {
  const Tensor c = src.contiguous();
  if (c.numel() > 0) std::memcpy(dst.raw_data(), c.raw_data(), static_cast<std::size_t>(c.numel()) * c.element_size());
}

// A branch or loop body traced as a plan of its own, the first time it runs; refuses
// one that reads a tensor of the enclosing plan it was not given.
class SubPlan {
 public:
  SubPlan(std::string name, Branch fn, std::vector<Tensor> operands, std::unordered_set<const Storage*> enclosing)
      : name_(std::move(name)), fn_(std::move(fn)), operands_(std::move(operands)), enclosing_(std::move(enclosing)) {}

  // Runs it (traced at the first run, replayed after) and returns its results.
  const std::vector<Tensor>& run() {
    const graph::detail::SuspendGraph outside;
    if (plan_ == nullptr) {
      plan_ = graph::detail::trace_plan(name_, operands_, fn_);
      check_operands();
    } else {
      plan_->replay();
    }
    return plan_->outputs;
  }

 private:
  void check_operands() const {
    std::unordered_set<const Storage*> own;
    for (const Tensor& t : operands_) own.insert(t.storage().get());
    for (const auto& b : plan_->buffers) own.insert(b.storage.get());
    for (const auto& c : plan_->constants) own.insert(c.get());
    for (const auto& node : plan_->nodes)
      for (const auto& s : node.touched)
        SPOOL_CHECK(own.contains(s.get()) || !enclosing_.contains(s.get()), InvalidArgument, name_, ": op ",
                    quoted(node.name), " reads a tensor of the enclosing function that is not an operand; pass it "
                    "among the operands (a captured one may be overwritten before the branch runs)");
  }

  std::string name_;
  Branch fn_;
  std::vector<Tensor> operands_;
  std::unordered_set<const Storage*> enclosing_;  // the enclosing plan's buffers at the trace
  std::unique_ptr<Plan> plan_;
};

void refuse_gradients(const char* who) {
  SPOOL_CHECK(!autodiff::is_recording(), Unimplemented, who, " in a traced function: a tape records here, and ",
              "gradients through traced control flow are not implemented. Run it outside the tape (or under "
              "tape.stop_recording()), or use where() for an element-wise choice");
}

}  // namespace

std::vector<Tensor> cond(const Tensor& pred, const std::vector<Tensor>& operands, const Branch& true_fn,
                         const Branch& false_fn) {
  SPOOL_CHECK(true_fn != nullptr && false_fn != nullptr, InvalidArgument, "cond: an empty branch");
  if (graph::detail::recording_tracer() == nullptr) return truth(pred, "cond") ? true_fn(operands) : false_fn(operands);
  refuse_gradients("cond");
  // The node: both branches as plans of their own, outputs copied into its buffers.
  struct Node {
    Tensor pred;
    std::shared_ptr<SubPlan> branches[2];
    std::vector<Tensor> outputs;
    void operator()() {
      const int b = truth(pred, "cond") ? 0 : 1;
      const std::vector<Tensor>& results = branches[b]->run();
      if (outputs.empty()) {  // the trace: the first branch taken sets the outputs' form
        for (const Tensor& r : results) outputs.push_back(Tensor::empty(r.shape(), r.dtype()));
      }
      check_same(results, outputs, "cond", b == 0 ? "the true branch" : "the false branch");
      for (std::size_t i = 0; i < outputs.size(); ++i) copy(outputs[i], results[i]);
    }
  };
  auto node = std::make_shared<Node>();
  node->pred = pred;
  const auto enclosing = graph::detail::current_tracer()->computed();
  node->branches[0] = std::make_shared<SubPlan>("cond's true branch", true_fn, operands, enclosing);
  node->branches[1] = std::make_shared<SubPlan>("cond's false branch", false_fn, operands, enclosing);
  std::vector<Tensor> touched = operands;
  touched.push_back(pred);
  // Unplanned: the outputs are made once, at the trace, and kept by the node.
  graph::record_node("cond", [node] { (*node)(); }, touched, graph::NodeAllocations::kUnplanned);
  return node->outputs;
}

std::vector<Tensor> while_loop(const LoopCondition& condition, const Branch& body, const std::vector<Tensor>& loop_vars) {
  SPOOL_CHECK(condition != nullptr && body != nullptr, InvalidArgument, "while_loop: an empty condition or body");
  if (graph::detail::recording_tracer() == nullptr) {
    std::vector<Tensor> vars = loop_vars;
    while (truth(condition(vars), "while_loop")) {
      std::vector<Tensor> next = body(vars);
      check_same(next, vars, "while_loop", "the body");
      vars = std::move(next);
    }
    return vars;
  }
  refuse_gradients("while_loop");
  // The node: the loop variables are buffers of its own; the condition and the body
  // are plans over them, the body's results copied back after each iteration.
  struct Node {
    std::vector<Tensor> initial, vars;
    LoopCondition condition_fn;
    Branch body_fn;
    std::unordered_set<const Storage*> enclosing;
    std::shared_ptr<SubPlan> condition, body;
    void operator()() {
      if (vars.empty()) {  // the trace
        for (const Tensor& v : initial) vars.push_back(Tensor::empty(v.shape(), v.dtype()));
        condition = std::make_shared<SubPlan>(
            "while_loop's condition",
            [fn = condition_fn](std::span<const Tensor> v) { return std::vector<Tensor>{fn(v)}; }, vars, enclosing);
        body = std::make_shared<SubPlan>("while_loop's body", body_fn, vars, enclosing);
      }
      for (std::size_t i = 0; i < vars.size(); ++i) copy(vars[i], initial[i]);
      while (truth(condition->run().at(0), "while_loop")) {
        const std::vector<Tensor>& next = body->run();
        check_same(next, vars, "while_loop", "the body");
        for (std::size_t i = 0; i < vars.size(); ++i) copy(vars[i], next[i]);
      }
    }
  };
  auto node = std::make_shared<Node>();
  node->initial = loop_vars;
  node->condition_fn = condition;
  node->body_fn = body;
  node->enclosing = graph::detail::current_tracer()->computed();
  graph::record_node("while_loop", [node] { (*node)(); }, loop_vars, graph::NodeAllocations::kUnplanned);
  return node->vars;
}

}  // namespace spool
