// Dataset::take_while: the elements before the first one for which the predicate is
// false; that element and everything after it are not read further. Cardinality is
// unknown, as in tf.data. A predicate that throws makes an error of that element,
// prefixed "take_while: element #<index>: ", and the stream goes on after it.
#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class TakeWhileNode : public detail::UnaryNode {
 public:
  TakeWhileNode(detail::NodePtr input, Predicate predicate)
      : UnaryNode(std::move(input)), predicate_(std::move(predicate)) {}
  std::string name() const override { return "take_while"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<TakeWhileNode>(in[0], predicate_);
  }
  std::int64_t cardinality() const override { return kUnknownCardinality; }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const Predicate predicate_;
};

class TakeWhileIterator : public detail::CountingIterator {
 public:
  TakeWhileIterator(const TakeWhileNode& node, const detail::IteratorContext& context)
      : CountingIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    if (done_) return std::nullopt;
    std::int64_t index = 0;
    std::optional<Element> e = pull_counted(index);
    if (!e) {
      done_ = true;
      return std::nullopt;
    }
    bool keep = false;
    try {
      keep = node_.predicate_(*e);
    } catch (...) {
      detail::rethrow_with_context(node_.name(), index);
    }
    if (!keep) done_ = true;
    return keep ? e : std::nullopt;
  }
  void save(StateWriter& writer) override {
    writer.write_bool(done_);
    CountingIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    done_ = reader.read_bool();
    CountingIterator::restore(reader);
  }

  const TakeWhileNode& node_;
  bool done_ = false;
};

std::unique_ptr<detail::IteratorBase> TakeWhileNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<TakeWhileIterator>(*this, context);
}

}  // namespace

Dataset Dataset::take_while(Predicate predicate) const {
  SPOOL_CHECK(predicate != nullptr, InvalidArgument, "take_while: the predicate is empty");
  return derive(std::make_shared<TakeWhileNode>(node_, std::move(predicate)));
}

}  // namespace spool::data
