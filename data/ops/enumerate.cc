// Dataset::enumerate: prepends an i64 scalar counter, start + i for input element i
// (an input error takes its number too, as in tf.data, where enumerate zips with a
// range). When the input's elements are named, the counter is named "index"; an
// input that already has a component of that name is an error.
#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class EnumerateNode : public detail::UnaryNode {
 public:
  EnumerateNode(detail::NodePtr input, std::int64_t start) : UnaryNode(std::move(input)), start_(start) {}
  std::string name() const override { return "enumerate"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<EnumerateNode>(in[0], start_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::int64_t start_;
};

class EnumerateIterator : public detail::CountingIterator {
 public:
  EnumerateIterator(const EnumerateNode& node, const detail::IteratorContext& context)
      : CountingIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    std::int64_t index = 0;
    std::optional<Element> e = pull_counted(index);
    if (!e) return std::nullopt;
    std::vector<Tensor> components{Tensor::scalar<std::int64_t>(node_.start_ + index)};
    components.insert(components.end(), e->begin(), e->end());
    if (!e->has_names()) return Element(std::move(components));
    // A stream shares one names list: build ours once per input list, not per element.
    if (e->shared_names() != input_names_) {
      SPOOL_CHECK(e->find("index") == e->size(), InvalidArgument, "enumerate: element #", index,
                  " already has a component named 'index' (", describe_structure(*e), ")");
      std::vector<std::string> names{"index"};
      names.insert(names.end(), e->names().begin(), e->names().end());
      input_names_ = e->shared_names();
      output_names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
    }
    return Element(std::move(components), output_names_);
  }

  const EnumerateNode& node_;
  Element::Names input_names_;   // the input names output_names_ was made from
  Element::Names output_names_;  // "index" followed by them
};

std::unique_ptr<detail::IteratorBase> EnumerateNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<EnumerateIterator>(*this, context);
}

}  // namespace

Dataset Dataset::enumerate(std::int64_t start) const { return derive(std::make_shared<EnumerateNode>(node_, start)); }

}  // namespace spool::data
