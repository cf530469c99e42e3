// Dataset::zip: element i of the result joins element i of every input, components
// concatenated in input order; it ends with the shortest input. Names are kept when
// every input's element is named and all the names are distinct; otherwise the result
// is unnamed (positional), since a partial or clashing set of names has no good answer.
// Element i is pulled from every input even when an earlier one throws, so the inputs
// stay aligned after an error; the first error is then passed on. Cardinality is the
// smallest known one, unknown if any input's is unknown (as tf.data).
// The static zip's result has the first dataset's Options.
#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class ZipNode : public detail::DatasetNode {
 public:
  explicit ZipNode(std::vector<detail::NodePtr> inputs) : inputs_(std::move(inputs)) {}
  std::string name() const override { return "zip"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<ZipNode>(std::move(in));
  }
  std::vector<detail::NodePtr> inputs() const override { return inputs_; }
  std::int64_t cardinality() const override {
    std::int64_t result = kInfiniteCardinality;
    for (const detail::NodePtr& input : inputs_) {
      const std::int64_t n = input->cardinality();
      if (n == kUnknownCardinality) return n;
      if (n != kInfiniteCardinality && (result == kInfiniteCardinality || n < result)) result = n;
    }
    return result;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::vector<detail::NodePtr> inputs_;
};

// Concatenated components, named when every part is and the names are distinct.
Element join(const std::vector<Element>& parts) {
  std::vector<Tensor> components;
  std::vector<std::string> names;
  bool named = true;
  for (const Element& part : parts) {
    components.insert(components.end(), part.begin(), part.end());
    named = named && part.has_names();
    if (named) names.insert(names.end(), part.names().begin(), part.names().end());
  }
  for (std::size_t i = 0; named && i < names.size(); ++i) {
    for (std::size_t j = 0; named && j < i; ++j) named = names[i] != names[j];
  }
  if (!named) return Element(std::move(components));
  return Element(std::move(components), std::move(names));
}

class ZipIterator : public detail::IteratorBase {
 public:
  ZipIterator(const ZipNode& node, const detail::IteratorContext& context) : IteratorBase(node, context) {
    for (const detail::NodePtr& input : node.inputs_) inputs_.push_back(detail::make_input_iterator(*input, context));
  }

 private:
  std::optional<Element> get_next() override {
    if (ended_) return std::nullopt;
    std::vector<Element> parts;
    std::exception_ptr error;
    for (auto& input : inputs_) {
      std::optional<Element> e;
      try {
        e = pull(*input);
      } catch (...) {
        if (!error) error = std::current_exception();
        continue;
      }
      if (!e) {  // the later inputs are not read past the end
        ended_ = true;
        return std::nullopt;
      }
      parts.push_back(std::move(*e));
    }
    if (error) std::rethrow_exception(error);
    return join(parts);
  }
  void save(StateWriter& writer) override {
    writer.write_bool(ended_);
    for (auto& input : inputs_) input->save_state(writer);
  }
  void restore(StateReader& reader) override {
    ended_ = reader.read_bool();
    for (auto& input : inputs_) input->restore_state(reader);
  }

  std::vector<std::unique_ptr<detail::IteratorBase>> inputs_;
  bool ended_ = false;
};

std::unique_ptr<detail::IteratorBase> ZipNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<ZipIterator>(*this, context);
}

}  // namespace

Dataset Dataset::zip(std::vector<Dataset> datasets) {
  SPOOL_CHECK(!datasets.empty(), InvalidArgument, "zip: needs at least one dataset, got none");
  std::vector<detail::NodePtr> nodes;
  for (const Dataset& ds : datasets) nodes.push_back(ds.node());
  return Dataset(std::make_shared<ZipNode>(std::move(nodes)), datasets.front().options());
}

Dataset Dataset::zip(const Dataset& other) const { return zip(std::vector<Dataset>{*this, other}); }

}  // namespace spool::data
