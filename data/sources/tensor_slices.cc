// Dataset::from_tensor_slices: element i holds component[k].select(0, i) for every k.
#include "spool/data/dataset.h"
#include "spool/data/sources/tensor_slices_node.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

using detail::TensorSlicesNode;

class TensorSlicesIterator : public detail::IteratorBase {
 public:
  TensorSlicesIterator(const TensorSlicesNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    if (index_ >= node_.cardinality()) return std::nullopt;
    std::vector<Tensor> slices;
    slices.reserve(node_.components().size());
    for (const Tensor& t : node_.components()) slices.push_back(t.select(0, index_));
    ++index_;
    return Element(std::move(slices), node_.components().shared_names());
  }
  void save(StateWriter& writer) override { writer.write_i64(index_); }
  void restore(StateReader& reader) override {
    index_ = reader.read_i64();
    SPOOL_CHECK(index_ >= 0 && index_ <= node_.cardinality(), InvalidArgument, "tensor_slices: saved position ",
                index_, " is outside [0, ", node_.cardinality(), "]");
  }

  const TensorSlicesNode& node_;
  std::int64_t index_ = 0;
};

}  // namespace

namespace detail {

TensorSlicesNode::TensorSlicesNode(Element components) : components_(std::move(components)) {
  SPOOL_CHECK(!components_.empty(), InvalidArgument, "from_tensor_slices: no components");
  for (std::size_t k = 0; k < components_.size(); ++k) {
    const Tensor& t = components_[k];
    SPOOL_CHECK(t.defined() && t.rank() >= 1, InvalidArgument, "from_tensor_slices: component ", k,
                " must have rank >= 1 to be sliced, got ", describe_structure(components_));
    SPOOL_CHECK(t.dim(0) == components_[0].dim(0), InvalidArgument,
                "from_tensor_slices: components differ in their first dimension: ", describe_structure(components_));
  }
}

std::unique_ptr<IteratorBase> TensorSlicesNode::make_iterator(const IteratorContext& context) const {
  return std::make_unique<TensorSlicesIterator>(*this, context);
}

}  // namespace detail

Dataset Dataset::from_tensor_slices(Element components) {
  return Dataset(std::make_shared<TensorSlicesNode>(std::move(components)));
}

}  // namespace spool::data
