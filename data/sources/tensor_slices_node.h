// Internal: TensorSlicesNode, the source behind Dataset::from_tensor_slices, seen by
// the rewrite that gathers batches of its rows (ops/slice_batch.cc).
// Thread-safety: immutable.
#pragma once

#include "spool/data/detail/dataset_node.h"
#include "spool/data/element.h"

namespace spool::data::detail {

class TensorSlicesNode : public DatasetNode {
 public:
  // Row i of the stream holds components[k].select(0, i) for every k.
  explicit TensorSlicesNode(Element components);
  std::string name() const override { return "tensor_slices"; }
  NodePtr with_inputs(std::vector<NodePtr>) const override { return std::make_shared<TensorSlicesNode>(components_); }
  std::int64_t cardinality() const override { return components_[0].dim(0); }
  std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const override;

  const Element& components() const { return components_; }

 private:
  const Element components_;
};

}  // namespace spool::data::detail
