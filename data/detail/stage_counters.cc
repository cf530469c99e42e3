#include "spool/data/detail/stage_counters.h"

#include <algorithm>
#include <unordered_set>

#include "spool/data/detail/dataset_node.h"
#include "spool/data/detail/rewrite_plan.h"

namespace spool::data::detail {

StatsRegistry::StatsRegistry(const RewritePlan& plan) {
  const DatasetNode& root = *plan.root();
  // Post-order walk with an explicit stack: inputs before the stages that read them.
  std::unordered_set<const DatasetNode*> seen;
  std::vector<std::pair<const DatasetNode*, bool>> stack{{&root, false}};
  while (!stack.empty()) {
    auto [node, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      graph_.push_back(node);
      continue;
    }
    if (!seen.insert(node).second) continue;
    stack.push_back({node, true});
    // The nodes stay alive: the plan owns the stages that run.
    const auto inputs = plan.inputs(*node);
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) stack.push_back({it->get(), false});
  }
  for (const DatasetNode* node : graph_) {
    auto counters = std::make_shared<StageCounters>();
    counters->name = node->name();
    counters_.emplace(node, std::move(counters));
  }
}

std::shared_ptr<StageCounters> StatsRegistry::counters_for(const DatasetNode& node) {
  std::lock_guard lock(mu_);
  if (auto it = counters_.find(&node); it != counters_.end()) return it->second;
  auto& slot = pooled_[node.name()];
  if (!slot) {
    slot = std::make_shared<StageCounters>();
    slot->name = node.name();
    slot->created = created_++;
    slot->shared_writers = true;
  }
  return slot;
}

std::vector<StageStats> StatsRegistry::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<const StageCounters*> ordered;
  for (const auto& [name, counters] : pooled_) ordered.push_back(counters.get());
  // A stage registers before the input it makes, so later registrations come first.
  std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->created > b->created; });
  for (const DatasetNode* node : graph_) ordered.push_back(counters_.at(node).get());

  std::vector<StageStats> out;
  for (const StageCounters* c : ordered) {
    StageStats s;
    s.name = c->name;
    s.elements = c->elements.load(std::memory_order_relaxed);
    s.self_seconds = 1e-9 * static_cast<double>(c->self_ns.load(std::memory_order_relaxed) +
                                                c->background_self_ns.load(std::memory_order_relaxed));
    s.wait_seconds = 1e-9 * static_cast<double>(c->wait_ns.load(std::memory_order_relaxed));
    s.bytes = c->bytes.load(std::memory_order_relaxed);
    s.skipped_errors = c->skipped_errors.load(std::memory_order_relaxed);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace spool::data::detail
