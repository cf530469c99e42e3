// Dataset::range: i64 scalars start, start + step, ... up to stop (exclusive).
#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class RangeNode : public detail::DatasetNode {
 public:
  RangeNode(std::int64_t start, std::int64_t stop, std::int64_t step) : start_(start), stop_(stop), step_(step) {}
  std::string name() const override { return "range"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr>) const override {
    return std::make_shared<RangeNode>(start_, stop_, step_);
  }
  std::int64_t cardinality() const override {
    if (step_ > 0) return stop_ > start_ ? (stop_ - start_ + step_ - 1) / step_ : 0;
    return start_ > stop_ ? (start_ - stop_ - step_ - 1) / -step_ : 0;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::int64_t start_, stop_, step_;
};

class RangeIterator : public detail::IteratorBase {
 public:
  RangeIterator(const RangeNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context), node_(node), count_(node.cardinality()) {}

 private:
  std::optional<Element> get_next() override {
    if (produced_ >= count_) return std::nullopt;
    return Element(Tensor::scalar<std::int64_t>(node_.start_ + node_.step_ * produced_++));
  }
  void save(StateWriter& writer) override { writer.write_i64(produced_); }
  void restore(StateReader& reader) override {
    produced_ = reader.read_i64();
    SPOOL_CHECK(produced_ >= 0 && produced_ <= count_, InvalidArgument, "range: saved position ", produced_,
                " is outside [0, ", count_, "]");
  }

  const RangeNode& node_;
  const std::int64_t count_;
  std::int64_t produced_ = 0;
};

std::unique_ptr<detail::IteratorBase> RangeNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<RangeIterator>(*this, context);
}

}  // namespace

Dataset Dataset::range(std::int64_t stop) { return range(0, stop, 1); }

Dataset Dataset::range(std::int64_t start, std::int64_t stop, std::int64_t step) {
  SPOOL_CHECK(step != 0, InvalidArgument, "range: step must not be 0");
  return Dataset(std::make_shared<RangeNode>(start, stop, step));
}

}  // namespace spool::data
