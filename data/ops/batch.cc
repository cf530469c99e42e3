// Dataset::batch: stacks batch_size consecutive elements (see detail/stack.h for the
// error when shapes differ). The last, smaller batch is kept unless drop_remainder.
#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/data/ops/batch_fusion.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class BatchNode : public detail::UnaryNode {
 public:
  BatchNode(detail::NodePtr input, std::int64_t batch_size, bool drop_remainder)
      : UnaryNode(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder) {}
  std::string name() const override { return "batch"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<BatchNode>(in[0], batch_size_, drop_remainder_);
  }
  std::int64_t cardinality() const override {
    return detail::batched_cardinality(input()->cardinality(), batch_size_, drop_remainder_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;
  detail::NodePtr rewritten(const detail::Rewriting& rewriting) const override {
    return detail::fuse_batch(rewriting, batch_size_, drop_remainder_);
  }

  const std::int64_t batch_size_;
  const bool drop_remainder_;
};

class BatchIterator : public detail::UnaryIterator {
 public:
  BatchIterator(const BatchNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    std::vector<Element> elements;
    elements.reserve(static_cast<std::size_t>(node_.batch_size_));
    pull_n(input(), static_cast<std::size_t>(node_.batch_size_), elements);
    if (elements.empty()) return std::nullopt;
    if (node_.drop_remainder_ && static_cast<std::int64_t>(elements.size()) < node_.batch_size_) return std::nullopt;
    return detail::stack_elements(elements, "batch");
  }
  const BatchNode& node_;
};

std::unique_ptr<detail::IteratorBase> BatchNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<BatchIterator>(*this, context);
}

}  // namespace

namespace detail {

NodePtr fuse_batch(const Rewriting& rewriting, std::int64_t batch_size, bool drop_remainder) {
  if (NodePtr fused = fuse_map_and_batch(rewriting, batch_size, drop_remainder)) return fused;
  return fuse_slice_batch(rewriting, batch_size, drop_remainder);
}

}  // namespace detail

Dataset Dataset::batch(std::int64_t batch_size, bool drop_remainder) const {
  SPOOL_CHECK(batch_size >= 1, InvalidArgument, "batch: batch_size must be >= 1, got ", batch_size);
  return derive(std::make_shared<BatchNode>(node_, batch_size, drop_remainder));
}

}  // namespace spool::data
