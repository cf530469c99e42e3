#include "spool/data/detail/rewrite_plan.h"

#include <unordered_set>

namespace spool::data::detail {

NodePtr DatasetNode::rewritten(const Rewriting&) const { return nullptr; }

RewritePlan::RewritePlan(const NodePtr& root, const Optimizations& optimizations) {
  // Post-order: a stage is rewritten after its inputs, so it sees them as they will run.
  std::unordered_set<const DatasetNode*> seen;
  std::vector<std::pair<NodePtr, bool>> stack{{root, false}};
  while (!stack.empty()) {
    auto [node, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      rewrite(node, optimizations);
      continue;
    }
    if (!seen.insert(node.get()).second) continue;
    stack.push_back({node, true});
    for (const NodePtr& input : node->inputs()) stack.push_back({input, false});
  }
  root_ = resolve(root);
}

void RewritePlan::rewrite(const NodePtr& node, const Optimizations& optimizations) {
  // A replacement may be rewritten in turn (two fused maps, then their batch); every
  // rewrite removes a stage or turns one into a faster kind, so the chain is short.
  NodePtr current = node;
  for (int round = 0; round < 16; ++round) {
    NodePtr next = current->rewritten(Rewriting(optimizations, inputs(*current)));
    if (!next) break;
    current = std::move(next);
  }
  if (current != node) replaced_[node.get()] = std::move(current);
}

const NodePtr& RewritePlan::resolve(const NodePtr& node) const {
  auto it = replaced_.find(node.get());
  return it == replaced_.end() ? node : it->second;
}

const DatasetNode& RewritePlan::resolve(const DatasetNode& node) const {
  auto it = replaced_.find(&node);
  return it == replaced_.end() ? node : *it->second;
}

std::vector<NodePtr> RewritePlan::inputs(const DatasetNode& node) const {
  std::vector<NodePtr> in = node.inputs();
  for (NodePtr& n : in) n = resolve(n);
  return in;
}

std::unique_ptr<IteratorBase> make_input_iterator(const DatasetNode& input, const IteratorContext& context) {
  return context.pipeline->plan().resolve(input).make_iterator(context);
}

PipelineContext::PipelineContext(Options options, std::shared_ptr<const RewritePlan> plan,
                                 std::optional<std::uint64_t> pinned_iteration)
    : options_(options),
      plan_(std::move(plan)),
      budget_(options.max_buffered_bytes()),
      stats_(*plan_),
      pinned_iteration_(pinned_iteration) {}

}  // namespace spool::data::detail
