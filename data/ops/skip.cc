// Dataset::skip: all but the first `count` elements (nothing when count < 0). The
// skipping happens at the first next(); an input error met while skipping is passed
// on and takes the place of one skipped element, as in tf.data.
#include <algorithm>

#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"

namespace spool::data {
namespace {

class SkipNode : public detail::UnaryNode {
 public:
  SkipNode(detail::NodePtr input, std::int64_t count) : UnaryNode(std::move(input)), count_(count) {}
  std::string name() const override { return "skip"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<SkipNode>(in[0], count_);
  }
  detail::NodePtr rewritten(const detail::Rewriting& rewriting) const override {
    return rewriting.optimizations().noop_elimination() && count_ == 0 ? rewriting.input(0) : nullptr;
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    if (n < 0) return n;  // infinite stays infinite, unknown stays unknown (as tf.data)
    return count_ < 0 ? 0 : std::max<std::int64_t>(0, n - count_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::int64_t count_;
};

class SkipIterator : public detail::CountingIterator {
 public:
  SkipIterator(const SkipNode& node, const detail::IteratorContext& context)
      : CountingIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    std::int64_t index = 0;
    while (node_.count_ < 0 || count_ < node_.count_) {  // count_: input elements skipped
      if (!pull_counted(index)) return std::nullopt;
    }
    return pull(input());
  }

  const SkipNode& node_;
};

std::unique_ptr<detail::IteratorBase> SkipNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<SkipIterator>(*this, context);
}

}  // namespace

Dataset Dataset::skip(std::int64_t count) const {
  return derive(std::make_shared<SkipNode>(node_, count < 0 ? -1 : count));
}

}  // namespace spool::data
