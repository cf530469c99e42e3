// Internal: RepeatNode, the stage behind Dataset::repeat, seen by the rewrite that
// gathers batches of from_tensor_slices rows across passes (slice_batch.cc), and the
// epoch each pass gives the stages below it.
// Thread-safety: immutable.
#pragma once

#include <cstdint>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

class RepeatNode : public UnaryNode {
 public:
  // count < 0: forever.
  RepeatNode(NodePtr input, std::int64_t count) : UnaryNode(std::move(input)), count_(count < 0 ? -1 : count) {}
  std::string name() const override { return "repeat"; }
  NodePtr with_inputs(std::vector<NodePtr> in) const override { return std::make_shared<RepeatNode>(in[0], count_); }
  std::int64_t cardinality() const override;
  std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const override;

  // The passes, -1 for forever.
  std::int64_t count() const { return count_; }

 private:
  const std::int64_t count_;
};

// The epoch of pass `pass` of a repeat whose own epoch is `epoch`: nested repeats
// combine their epochs, with a stride large enough that realistic ones never share one.
constexpr std::uint64_t repeat_pass_epoch(std::uint64_t epoch, std::int64_t pass) {
  constexpr std::uint64_t kEpochStride = 1'000'003;
  return epoch * kEpochStride + static_cast<std::uint64_t>(pass);
}

}  // namespace spool::data::detail
