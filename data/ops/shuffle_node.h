// Internal: ShuffleNode, the stage behind Dataset::shuffle, seen by the rewrite that
// shuffles the rows of from_tensor_slices by number (slice_batch.cc), and the draws a
// shuffle's order is made of, so that rewrite makes the same ones.
// Thread-safety: immutable apart from its IterationCounter, which is thread-safe.
#pragma once

#include <cstdint>
#include <memory>

#include "spool/data/detail/dataset_node.h"
#include "spool/data/detail/iteration_counter.h"
#include "spool/data/ops/shuffle.h"

namespace spool::data::detail {

class ShuffleNode : public UnaryNode {
 public:
  ShuffleNode(NodePtr input, ShuffleOptions options);
  std::string name() const override { return "shuffle"; }
  NodePtr with_inputs(std::vector<NodePtr> in) const override;
  std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const override;
  IterationCounter* iteration_counter() const override {
    return options_.reshuffle_each_iteration() ? iterations_.get() : nullptr;
  }

  const ShuffleOptions& options() const { return options_; }
  std::uint64_t seed() const { return seed_; }

 private:
  const ShuffleOptions options_;
  const std::uint64_t seed_;  // drawn once per dataset when unseeded, as tf.data
  // The iterators made of this stage (the dataset's one piece of shared state).
  const std::unique_ptr<IterationCounter> iterations_ = std::make_unique<IterationCounter>();
};

// The seed of the orders under `seed` (the node's, or a restored iterator's) in
// `iteration`.
std::uint64_t shuffle_order_seed(const ShuffleNode& node, std::uint64_t seed, std::uint64_t iteration);
// Draw k of a pass over `stream` (the pass's epoch, 0 without reshuffling): a pure
// function. The k-th element out of the buffer is the one in slot draw % (elements
// buffered).
std::uint64_t shuffle_draw(std::uint64_t order_seed, std::uint64_t stream, std::uint64_t k);

}  // namespace spool::data::detail
