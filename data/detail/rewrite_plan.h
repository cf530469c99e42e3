// RewritePlan: the stages a pipeline runs, after the rewrites its Optimizations allow
// (optimizations.h). The written graph is left as it is: the plan maps each stage it
// replaces to its replacement, whose inputs are written stages in turn (resolved
// through the plan when their iterators are made). So the stages below a rewrite keep
// their shared state (a shuffle's iteration count, a cache), which rebuilding them with
// with_inputs() would start afresh. A plan is made per Iterator; stages built at run
// time (an interleave's inner datasets) are not in it and run as written.
// Thread-safety: immutable once made.
#pragma once

#include <unordered_map>
#include <vector>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

class RewritePlan {
 public:
  RewritePlan(const NodePtr& root, const Optimizations& optimizations);

  // The stage that runs in place of `node` (`node` itself when nothing replaces it).
  const NodePtr& resolve(const NodePtr& node) const;
  const DatasetNode& resolve(const DatasetNode& node) const;
  // The stage that runs at the root.
  const NodePtr& root() const { return root_; }
  // resolve() of each of node's inputs: the graph as it runs.
  std::vector<NodePtr> inputs(const DatasetNode& node) const;

 private:
  void rewrite(const NodePtr& node, const Optimizations& optimizations);

  std::unordered_map<const DatasetNode*, NodePtr> replaced_;
  NodePtr root_;
};

}  // namespace spool::data::detail
