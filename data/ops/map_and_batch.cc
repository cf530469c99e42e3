// The map + batch fusion (optimizations.h): batch over an inline map runs as one
// stage, "<map>+batch", that pulls its input elements a batch at a time and maps them
// itself, so the map pays no per-element stage call; batch over map(parse_example(spec))
// runs as parse_example_batch(spec), which makes no tensor per record.
//
// A map of elementwise functions (map.h) is moved after the batch instead: the batch
// stacks its inputs and the map runs once per batch.
//
// The fused stage yields what the two stages would, errors included: an error (the
// map's, or one its input raised) drops the batch being assembled, and the next batch
// starts with the element after it, whose elements were already pulled and wait
// unmapped in `pending_` (saved with the state).
#include <deque>

#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/data/ops/batch_fusion.h"
#include "spool/data/ops/map_node.h"
#include "spool/data/ops/parse_example_batch.h"
#include "spool/data/ops/parse_example_fn.h"

namespace spool::data::detail {
namespace {

class MapAndBatchNode : public UnaryNode {
 public:
  MapAndBatchNode(std::shared_ptr<const MapNode> map, std::int64_t batch_size, bool drop_remainder)
      : UnaryNode(map->input()), map_(std::move(map)), batch_size_(batch_size), drop_remainder_(drop_remainder) {}
  std::string name() const override { return map_->name() + "+batch"; }
  NodePtr with_inputs(std::vector<NodePtr> in) const override {
    return std::make_shared<MapAndBatchNode>(std::static_pointer_cast<const MapNode>(map_->with_inputs(in)),
                                             batch_size_, drop_remainder_);
  }
  std::int64_t cardinality() const override {
    return detail::batched_cardinality(input()->cardinality(), batch_size_, drop_remainder_);
  }
  std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const override;

  const std::shared_ptr<const MapNode> map_;
  const std::int64_t batch_size_;
  const bool drop_remainder_;
};

class MapAndBatchIterator : public UnaryIterator {
 public:
  MapAndBatchIterator(const MapAndBatchNode& node, const IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  // An input element not mapped yet, or the error the input raised in its place.
  struct Pending {
    std::int64_t index;
    std::optional<Element> element;
    std::exception_ptr error;
  };

  std::optional<Element> get_next() override {
    const auto size = static_cast<std::size_t>(node_.batch_size_);
    batch_.clear();
    while (batch_.size() < size) {
      if (pending_.empty() && !refill(size - batch_.size())) break;
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      if (p.error) std::rethrow_exception(p.error);
      batch_.push_back(node_.map_->apply(std::move(*p.element), context().epoch, p.index));
    }
    if (batch_.empty()) return std::nullopt;
    if (node_.drop_remainder_ && batch_.size() < size) return std::nullopt;
    Element out = stack_elements(batch_, "batch");
    batch_.clear();
    return out;
  }

  // Pulls up to n input elements into pending_; false at the end of the input.
  bool refill(std::size_t n) {
    pulled_.clear();
    std::exception_ptr error;
    try {
      pull_n(input(), n, pulled_);
    } catch (...) {
      error = std::current_exception();
    }
    for (Element& e : pulled_) pending_.push_back({count_++, std::move(e), nullptr});
    if (error) pending_.push_back({count_++, std::nullopt, error});
    return !pending_.empty();
  }

  void save(StateWriter& writer) override {
    writer.write_i64(count_);
    writer.write_i64(static_cast<std::int64_t>(pending_.size()));
    for (const Pending& p : pending_) {
      writer.write_i64(p.index);
      writer.write_bool(p.element.has_value());
      if (p.element) {
        writer.write_element(*p.element);
      } else {
        write_error(writer, p.error);
      }
    }
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    count_ = reader.read_count("the count of input elements");
    const std::int64_t n = reader.read_count("the pending elements");
    pending_.clear();
    for (std::int64_t i = 0; i < n; ++i) {
      Pending p{reader.read_count("a pending element's index"), std::nullopt, nullptr};
      if (reader.read_bool()) {
        p.element = reader.read_element();
      } else {
        p.error = read_error(reader);
      }
      pending_.push_back(std::move(p));
    }
    UnaryIterator::restore(reader);
  }

  const MapAndBatchNode& node_;
  std::int64_t count_ = 0;  // input elements pulled, errors included: the map's indices
  std::deque<Pending> pending_;
  // Kept from batch to batch, so their storage is reused.
  std::vector<Element> batch_;
  std::vector<Element> pulled_;
};

std::unique_ptr<IteratorBase> MapAndBatchNode::make_iterator(const IteratorContext& context) const {
  return std::make_unique<MapAndBatchIterator>(*this, context);
}

}  // namespace

namespace {

bool all_elementwise(const MapNode& map) {
  for (const MapStep& step : map.steps()) {
    if (!step.fn || !is_elementwise(step.fn)) return false;
  }
  return true;
}

}  // namespace

NodePtr fuse_map_and_batch(const Rewriting& rewriting, std::int64_t batch_size, bool drop_remainder) {
  if (!rewriting.optimizations().map_and_batch_fusion()) return nullptr;
  auto map = rewriting.input_as<MapNode>(0);
  if (!map) return nullptr;
  if (all_elementwise(*map)) {
    // Batch first, then map each batch once, with the map's parallelism. The batch
    // over the map's input may fuse in turn.
    NodePtr batch = fuse_batch(Rewriting(rewriting.optimizations(), {map->input()}), batch_size, drop_remainder);
    if (!batch) batch = Dataset(map->input()).batch(batch_size, drop_remainder).node();
    return map->with_inputs({batch});
  }
  if (map->steps().size() == 1) {
    const FeatureSpec* spec = parse_example_spec(map->steps().front().fn);
    if (spec && parse_example_batch_accepts(*spec)) {
      return make_parse_example_batch(map->input(), *spec, batch_size, drop_remainder);
    }
  }
  // A parallel map keeps its workers: this stage maps on the consumer's thread.
  if (map->parallelism() != 1) return nullptr;
  return std::make_shared<MapAndBatchNode>(std::move(map), batch_size, drop_remainder);
}

}  // namespace spool::data::detail
