// Dataset::repeat: passes over the input `count` times (forever when count < 0). Each
// pass is a fresh input iterator whose context carries the pass as its epoch, so
// shuffles reshuffle and random maps draw new numbers; nested repeats combine their
// epochs. A pass that yields nothing ends the stream (as tf.data).
#include "spool/data/dataset.h"
#include "spool/data/ops/repeat_node.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

using detail::RepeatNode;

class RepeatIterator : public detail::IteratorBase {
 public:
  RepeatIterator(const RepeatNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context), node_(node) {}

 private:
  void start_pass() {
    input_ = detail::make_input_iterator(*node_.input(), context().with_epoch(detail::repeat_pass_epoch(context().epoch, pass_)));
    produced_in_pass_ = 0;
  }

  std::optional<Element> get_next() override {
    for (;;) {
      if (ended_ || (node_.count() >= 0 && pass_ >= node_.count())) return std::nullopt;
      if (!input_) start_pass();
      std::optional<Element> e = pull(*input_);
      if (e) {
        ++produced_in_pass_;
        return e;
      }
      input_.reset();
      if (produced_in_pass_ == 0) {  // an empty input would repeat forever
        ended_ = true;
        return std::nullopt;
      }
      ++pass_;
    }
  }
  void save(StateWriter& writer) override {
    writer.write_i64(pass_);
    writer.write_i64(produced_in_pass_);
    writer.write_bool(ended_);
    writer.write_bool(input_ != nullptr);
    if (input_) input_->save_state(writer);
  }
  void restore(StateReader& reader) override {
    pass_ = reader.read_count("the pass");
    const std::int64_t produced = reader.read_count("the elements produced");
    ended_ = reader.read_bool();
    input_.reset();
    if (reader.read_bool()) {
      start_pass();
      input_->restore_state(reader);
    }
    produced_in_pass_ = produced;
  }

  const RepeatNode& node_;
  std::unique_ptr<detail::IteratorBase> input_;  // the current pass, made lazily
  std::int64_t pass_ = 0;
  std::int64_t produced_in_pass_ = 0;
  bool ended_ = false;
};

}  // namespace

namespace detail {

std::int64_t RepeatNode::cardinality() const {
  const std::int64_t n = input()->cardinality();
  if (n == 0 || count_ == 0) return 0;
  if (n == kUnknownCardinality) return n;
  if (count_ < 0 || n == kInfiniteCardinality) return kInfiniteCardinality;
  return n * count_;
}

std::unique_ptr<IteratorBase> RepeatNode::make_iterator(const IteratorContext& context) const {
  return std::make_unique<RepeatIterator>(*this, context);
}

}  // namespace detail

Dataset Dataset::repeat(std::int64_t count) const {
  return derive(std::make_shared<RepeatNode>(node_, count));
}

}  // namespace spool::data
