// Dataset::concatenate: the elements of this dataset, then those of `other`. Both
// must yield the same structure: the same number of components with the same dtypes
// (shapes may differ, as in tf.data). Each element of `other` is checked against the
// first element of this dataset; a mismatch is an InvalidArgument naming both
// structures. Names pass through as each input has them.
#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class ConcatenateNode : public detail::DatasetNode {
 public:
  ConcatenateNode(detail::NodePtr first, detail::NodePtr second)
      : first_(std::move(first)), second_(std::move(second)) {}
  std::string name() const override { return "concatenate"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<ConcatenateNode>(in[0], in[1]);
  }
  std::vector<detail::NodePtr> inputs() const override { return {first_, second_}; }
  std::int64_t cardinality() const override {
    const std::int64_t a = first_->cardinality();
    const std::int64_t b = second_->cardinality();
    if (a == kInfiniteCardinality || b == kInfiniteCardinality) return kInfiniteCardinality;
    if (a == kUnknownCardinality || b == kUnknownCardinality) return kUnknownCardinality;
    return a + b;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const detail::NodePtr first_;
  const detail::NodePtr second_;
};

// What the elements of `other` must match: the first element's dtypes, and its
// structure for messages.
struct Structure {
  std::vector<DType> dtypes;
  std::string description;

  static Structure of(const Element& e) {
    Structure s{{}, describe_structure(e)};
    for (const Tensor& t : e) s.dtypes.push_back(t.defined() ? t.dtype() : DType::kU8);
    return s;
  }
  bool matches(const Element& e) const {
    if (e.size() != dtypes.size()) return false;
    for (std::size_t i = 0; i < dtypes.size(); ++i) {
      if (!e[i].defined() || e[i].dtype() != dtypes[i]) return false;
    }
    return true;
  }
};

class ConcatenateIterator : public detail::IteratorBase {
 public:
  ConcatenateIterator(const ConcatenateNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context),
        first_(detail::make_input_iterator(*node.first_, context)),
        second_(detail::make_input_iterator(*node.second_, context)) {}

 private:
  std::optional<Element> get_next() override {
    if (!in_second_) {
      std::optional<Element> e = pull(*first_);
      if (e) {
        if (!reference_) reference_ = Structure::of(*e);
        return e;
      }
      in_second_ = true;
    }
    std::optional<Element> e = pull(*second_);
    if (!e) return std::nullopt;
    const std::int64_t index = index_++;
    SPOOL_CHECK(!reference_ || reference_->matches(*e), InvalidArgument, "concatenate: element #", index,
                " of the second dataset is (", describe_structure(*e), ") but the first dataset yields (",
                reference_->description, ")");
    return e;
  }
  void save(StateWriter& writer) override {
    writer.write_bool(in_second_);
    writer.write_i64(index_);
    writer.write_bool(reference_.has_value());
    if (reference_) {
      writer.write_string(reference_->description);
      writer.write_i64(static_cast<std::int64_t>(reference_->dtypes.size()));
      for (DType d : reference_->dtypes) writer.write_i64(static_cast<std::int64_t>(d));
    }
    first_->save_state(writer);
    second_->save_state(writer);
  }
  void restore(StateReader& reader) override {
    in_second_ = reader.read_bool();
    index_ = reader.read_i64();
    reference_.reset();
    if (reader.read_bool()) {
      reference_ = Structure{{}, reader.read_string()};
      const std::int64_t n = reader.read_i64();
      for (std::int64_t i = 0; i < n; ++i) reference_->dtypes.push_back(static_cast<DType>(reader.read_i64()));
    }
    first_->restore_state(reader);
    second_->restore_state(reader);
  }

  std::unique_ptr<detail::IteratorBase> first_;
  std::unique_ptr<detail::IteratorBase> second_;
  bool in_second_ = false;
  std::int64_t index_ = 0;              // elements of the second dataset so far, for messages
  std::optional<Structure> reference_;  // of the first dataset's first element
};

std::unique_ptr<detail::IteratorBase> ConcatenateNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<ConcatenateIterator>(*this, context);
}

}  // namespace

Dataset Dataset::concatenate(const Dataset& other) const {
  return derive(std::make_shared<ConcatenateNode>(node_, other.node()));
}

}  // namespace spool::data
