// Dataset::take: the first `count` elements (all of them when count < 0).
#include "spool/data/dataset.h"

namespace spool::data {
namespace {

class TakeNode : public detail::UnaryNode {
 public:
  TakeNode(detail::NodePtr input, std::int64_t count) : UnaryNode(std::move(input)), count_(count) {}
  std::string name() const override { return "take"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<TakeNode>(in[0], count_);
  }
  detail::NodePtr rewritten(const detail::Rewriting& rewriting) const override {
    return rewriting.optimizations().noop_elimination() && count_ < 0 ? rewriting.input(0) : nullptr;
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    if (count_ < 0) return n;
    if (n == kInfiniteCardinality) return count_;
    if (n == kUnknownCardinality) return n;
    return std::min(n, count_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::int64_t count_;
};

class TakeIterator : public detail::UnaryIterator {
 public:
  TakeIterator(const TakeNode& node, const detail::IteratorContext& context) : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    if (node_.count_ >= 0 && taken_ >= node_.count_) return std::nullopt;
    std::optional<Element> e = pull(input());
    if (e) ++taken_;
    return e;
  }
  void save(StateWriter& writer) override {
    writer.write_i64(taken_);
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    taken_ = reader.read_count("the elements taken");
    UnaryIterator::restore(reader);
  }

  const TakeNode& node_;
  std::int64_t taken_ = 0;
};

std::unique_ptr<detail::IteratorBase> TakeNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<TakeIterator>(*this, context);
}

}  // namespace

Dataset Dataset::take(std::int64_t count) const { return derive(std::make_shared<TakeNode>(node_, count)); }

}  // namespace spool::data
