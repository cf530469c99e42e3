// Dataset::unbatch: splits every component along axis 0 into elements (views of the
// batch, no copy). Components must have rank >= 1 and the same extent on axis 0; a
// batch of zero rows yields nothing. The state holds the rest of the current batch.
// Cardinality is unknown unless the input's is infinite or 0 (the batch extents are
// known only when the batches arrive).
#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class UnbatchNode : public detail::UnaryNode {
 public:
  using UnaryNode::UnaryNode;
  std::string name() const override { return "unbatch"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<UnbatchNode>(in[0]);
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    return n == 0 || n == kInfiniteCardinality ? n : kUnknownCardinality;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;
};

class UnbatchIterator : public detail::UnaryIterator {
 public:
  using UnaryIterator::UnaryIterator;

 private:
  std::optional<Element> get_next() override {
    while (offset_ == rows_) {
      std::optional<Element> batch = pull(input());
      if (!batch) return std::nullopt;
      set_batch(std::move(*batch));
    }
    std::vector<Tensor> row;
    for (const Tensor& t : batch_) row.push_back(t.select(0, offset_));
    ++offset_;
    return Element(std::move(row), batch_.shared_names());
  }
  void set_batch(Element batch) {
    rows_ = detail::batch_rows(batch, "unbatch");
    offset_ = 0;
    batch_ = std::move(batch);
  }

  // The rows not yet yielded, as a batch of their own.
  void save(StateWriter& writer) override {
    writer.write_bool(offset_ < rows_);
    if (offset_ < rows_) writer.write_element(detail::slice_rows(batch_, offset_, rows_));
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    batch_ = Element();
    rows_ = offset_ = 0;
    if (reader.read_bool()) set_batch(reader.read_element());
    UnaryIterator::restore(reader);
  }

  Element batch_;            // the current batch
  std::int64_t rows_ = 0;    // its extent on axis 0
  std::int64_t offset_ = 0;  // the next row to yield
};

std::unique_ptr<detail::IteratorBase> UnbatchNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<UnbatchIterator>(*this, context);
}

}  // namespace

Dataset Dataset::unbatch() const { return derive(std::make_shared<UnbatchNode>(node_)); }

}  // namespace spool::data
