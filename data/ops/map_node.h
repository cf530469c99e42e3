// Internal: MapNode, the stage behind Dataset::map, seen by the rewrites that fuse maps with one
// another and with batch (optimizations.h). A map stage applies one or more steps in
// order (more than one after map fusion), each with its own function, seed and name,
// so a fused map draws the same random numbers and names the same step in its errors
// as the maps it replaces.
// Thread-safety: immutable; apply() may be called from several threads at once.
#pragma once

#include <cstdint>
#include <vector>

#include "spool/data/detail/dataset_node.h"
#include "spool/data/ops/map.h"

namespace spool::data::detail {

struct MapStep {
  MapFn fn;  // one of fn, random_fn is set
  RandomMapFn random_fn;
  MapOptions options;
};

class MapNode : public UnaryNode {
 public:
  // Runs the steps with `parallelism` workers (MapOptions::parallelism's meaning).
  MapNode(NodePtr input, std::vector<MapStep> steps, std::int64_t parallelism, bool deterministic);
  std::string name() const override;
  NodePtr with_inputs(std::vector<NodePtr> in) const override;
  std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const override;
  // Map fusion and map parallelization.
  NodePtr rewritten(const Rewriting& rewriting) const override;

  // Applies the steps to element `index` of pass `epoch`, errors given the context of
  // the step that raised them.
  Element apply(Element input, std::uint64_t epoch, std::int64_t index) const;

  const std::vector<MapStep>& steps() const { return steps_; }
  std::int64_t parallelism() const { return parallelism_; }
  bool deterministic() const { return deterministic_; }
  // Every step declared stateless (parse_example's function is).
  bool stateless() const;

 private:
  const std::vector<MapStep> steps_;
  const std::int64_t parallelism_;
  const bool deterministic_;
};

}  // namespace spool::data::detail
