#include "spool/data/detail/stage_counters.h"

#include <algorithm>
#include <unordered_set>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

std::shared_ptr<StageCounters> StatsRegistry::counters_for(const DatasetNode& node) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[&node];
  if (!slot) {
    slot = std::make_shared<StageCounters>();
    slot->name = node.name();
    slot->created = static_cast<std::int64_t>(counters_.size());
  }
  return slot;
}

std::vector<StageStats> StatsRegistry::snapshot(const DatasetNode& root) const {
  // Post-order walk with an explicit stack: inputs before the stages that read them.
  std::vector<const DatasetNode*> order;
  std::unordered_set<const DatasetNode*> seen;
  std::vector<std::pair<const DatasetNode*, bool>> stack{{&root, false}};
  std::vector<NodePtr> keep_alive;
  while (!stack.empty()) {
    auto [node, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      order.push_back(node);
      continue;
    }
    if (!seen.insert(node).second) continue;
    stack.push_back({node, true});
    auto inputs = node->inputs();
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) stack.push_back({it->get(), false});
    keep_alive.insert(keep_alive.end(), inputs.begin(), inputs.end());
  }

  std::lock_guard lock(mu_);
  // Stages built at run time (the datasets interleave opens) are not reachable from
  // the root; they come first, in the order they started.
  std::vector<const StageCounters*> unreached;
  for (const auto& [node, counters] : counters_) {
    if (!seen.count(node)) unreached.push_back(counters.get());
  }
  std::sort(unreached.begin(), unreached.end(), [](auto* a, auto* b) { return a->created < b->created; });
  std::vector<const StageCounters*> ordered = unreached;
  for (const DatasetNode* node : order) {
    auto it = counters_.find(node);
    if (it != counters_.end()) ordered.push_back(it->second.get());
  }

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
