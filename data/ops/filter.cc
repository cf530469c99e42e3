// Dataset::filter: keeps the elements for which the predicate is true. Cardinality is
// unknown, as in tf.data. A predicate that throws makes an error of that element,
// prefixed "filter: element #<input index>: "; the stream goes on after it.
#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class FilterNode : public detail::UnaryNode {
 public:
  FilterNode(detail::NodePtr input, Predicate predicate)
      : UnaryNode(std::move(input)), predicate_(std::move(predicate)) {}
  std::string name() const override { return "filter"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<FilterNode>(in[0], predicate_);
  }
  std::int64_t cardinality() const override { return kUnknownCardinality; }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const Predicate predicate_;
};

class FilterIterator : public detail::CountingIterator {
 public:
  FilterIterator(const FilterNode& node, const detail::IteratorContext& context)
      : CountingIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    for (;;) {
      std::int64_t index = 0;
      std::optional<Element> e = pull_counted(index);
      if (!e) return std::nullopt;
      try {
        if (node_.predicate_(*e)) return e;
      } catch (...) {
        detail::rethrow_with_context(node_.name(), index);
      }
    }
  }

  const FilterNode& node_;
};

std::unique_ptr<detail::IteratorBase> FilterNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<FilterIterator>(*this, context);
}

}  // namespace

Dataset Dataset::filter(Predicate predicate) const {
  SPOOL_CHECK(predicate != nullptr, InvalidArgument, "filter: the predicate is empty");
  return derive(std::make_shared<FilterNode>(node_, std::move(predicate)));
}

}  // namespace spool::data
