// Dataset::rebatch: re-slices a stream of batches into batches of batch_size rows,
// joining rows of consecutive input batches (copied) or slicing one (a view). The
// last, smaller batch is kept unless drop_remainder. Components must agree past axis
// 0 across input batches (see detail/stack.h for the error). The state holds the
// rows read but not yet yielded. Cardinality is unknown unless the input's is
// infinite or 0 (the input's batch sizes are known only when they arrive).
#include <algorithm>
#include <deque>

#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class RebatchNode : public detail::UnaryNode {
 public:
  RebatchNode(detail::NodePtr input, std::int64_t batch_size, bool drop_remainder)
      : UnaryNode(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder) {}
  std::string name() const override { return "rebatch"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<RebatchNode>(in[0], batch_size_, drop_remainder_);
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    return n == 0 || n == kInfiniteCardinality ? n : kUnknownCardinality;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::int64_t batch_size_;
  const bool drop_remainder_;
};

class RebatchIterator : public detail::UnaryIterator {
 public:
  RebatchIterator(const RebatchNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    while (!input_done_ && pending_rows_ < node_.batch_size_) {
      std::optional<Element> batch = pull(input());
      if (!batch) {
        input_done_ = true;
      } else {
        add_pending(std::move(*batch));
      }
    }
    if (pending_rows_ == 0 || (pending_rows_ < node_.batch_size_ && node_.drop_remainder_)) {
      clear_pending();
      return std::nullopt;
    }
    std::vector<Element> parts;
    for (std::int64_t need = std::min(node_.batch_size_, pending_rows_); need > 0;) {
      Element& front = pending_.front();
      const std::int64_t rows = detail::batch_rows(front, "rebatch");
      const std::int64_t take = std::min(need, rows);
      parts.push_back(detail::slice_rows(front, 0, take));
      if (take == rows) {
        pending_.pop_front();
      } else {
        front = detail::slice_rows(front, take, rows);
      }
      need -= take;
      pending_rows_ -= take;
    }
    return detail::concat_rows(parts, "rebatch");
  }
  void add_pending(Element batch) {
    const std::int64_t rows = detail::batch_rows(batch, "rebatch");
    if (rows == 0) return;
    pending_rows_ += rows;
    pending_.push_back(std::move(batch));
  }
  void clear_pending() {
    pending_.clear();
    pending_rows_ = 0;
  }

  void save(StateWriter& writer) override {
    writer.write_bool(input_done_);
    writer.write_i64(static_cast<std::int64_t>(pending_.size()));
    for (const Element& e : pending_) writer.write_element(e);
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    input_done_ = reader.read_bool();
    clear_pending();
    const std::int64_t n = reader.read_i64();
    for (std::int64_t i = 0; i < n; ++i) add_pending(reader.read_element());
    UnaryIterator::restore(reader);
  }

  const RebatchNode& node_;
  std::deque<Element> pending_;    // input batches (or their rest) not yet yielded
  std::int64_t pending_rows_ = 0;  // their rows
  bool input_done_ = false;
};

std::unique_ptr<detail::IteratorBase> RebatchNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<RebatchIterator>(*this, context);
}

}  // namespace

Dataset Dataset::rebatch(std::int64_t batch_size, bool drop_remainder) const {
  SPOOL_CHECK(batch_size >= 1, InvalidArgument, "rebatch: batch_size must be >= 1, got ", batch_size);
  return derive(std::make_shared<RebatchNode>(node_, batch_size, drop_remainder));
}

}  // namespace spool::data
