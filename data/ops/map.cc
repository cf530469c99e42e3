#include "spool/data/ops/map.h"

#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"
#include "spool/data/detail/parallel_iterator.h"
#include "spool/data/ops/map_node.h"
#include "spool/data/ops/parse_example_fn.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace detail {

MapNode::MapNode(NodePtr input, std::vector<MapStep> steps, std::int64_t parallelism, bool deterministic)
    : UnaryNode(std::move(input)), steps_(std::move(steps)), parallelism_(parallelism), deterministic_(deterministic) {}

std::string MapNode::name() const {
  std::string name = steps_.front().options.name();
  for (std::size_t i = 1; i < steps_.size(); ++i) name += "+" + steps_[i].options.name();
  return name;
}

NodePtr MapNode::with_inputs(std::vector<NodePtr> in) const {
  return std::make_shared<MapNode>(in[0], steps_, parallelism_, deterministic_);
}

bool MapNode::stateless() const {
  for (const MapStep& step : steps_) {
    if (!step.options.stateless() && !parse_example_spec(step.fn)) return false;
  }
  return true;
}

NodePtr MapNode::rewritten(const Rewriting& rewriting) const {
  const Optimizations& o = rewriting.optimizations();
  if (o.map_fusion()) {
    if (auto inner = rewriting.input_as<MapNode>(0);
        inner && inner->parallelism_ == parallelism_ && inner->deterministic_ == deterministic_) {
      std::vector<MapStep> steps = inner->steps_;
      steps.insert(steps.end(), steps_.begin(), steps_.end());
      return std::make_shared<MapNode>(inner->input(), std::move(steps), parallelism_, deterministic_);
    }
  }
  if (o.map_parallelization() && parallelism_ == 1 && stateless()) {
    return std::make_shared<MapNode>(rewriting.input(0), steps_, kAutotune, deterministic_);
  }
  return nullptr;
}

Element MapNode::apply(Element input, std::uint64_t epoch, std::int64_t index) const {
  for (const MapStep& step : steps_) {
    try {
      if (step.fn) {
        input = step.fn(std::move(input));
      } else {
        Generator gen = element_generator(step.options.seed(), epoch, static_cast<std::uint64_t>(index));
        input = step.random_fn(std::move(input), gen);
      }
    } catch (...) {
      rethrow_with_context(step.options.name(), index);
    }
  }
  return input;
}

namespace {

class MapIterator : public CountingIterator {
 public:
  MapIterator(const MapNode& node, const IteratorContext& context) : CountingIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    // An input error takes an index too, as in the parallel version, so the random
    // numbers of later elements do not depend on the number of workers.
    std::int64_t index = 0;
    std::optional<Element> e = pull_counted(index);
    if (!e) return std::nullopt;
    return node_.apply(std::move(*e), context().epoch, index);
  }

  const MapNode& node_;
};

}  // namespace

std::unique_ptr<IteratorBase> MapNode::make_iterator(const IteratorContext& context) const {
  std::int64_t workers = parallelism_;
  if (workers == kAutotune) workers = context.pipeline->options().autotune_parallelism();
  if (workers <= 1 && parallelism_ != kAutotune) return std::make_unique<MapIterator>(*this, context);
  ParallelConfig config;
  // The consumer is one of the `workers`: it computes elements while it would wait.
  config.workers = workers - 1;
  config.consumer_helps = true;
  // Room for 32 elements per thread (the consumer counts as one). A chunk takes at most
  // a quarter of a thread's share (8 elements, ParallelIterator::reserve_chunk), so
  // every thread finds room for its next chunk while the consumer, woken once per run
  // of capacity / 2 ready elements, takes them.
  config.capacity = 32 * workers;
  config.max_capacity = parallelism_ == kAutotune ? 64 * workers : 32 * workers;
  config.deterministic = deterministic_;
  const std::uint64_t epoch = context.epoch;
  return std::make_unique<ParallelIterator>(*this, context, input(), config,
                                            [this, epoch](Element e, std::int64_t index) -> std::optional<Element> {
                                              return apply(std::move(e), epoch, index);
                                            });
}

}  // namespace detail

namespace {

// A named type, so that is_elementwise can find it in a MapFn.
struct ElementwiseFunction {
  MapFn fn;
  Element operator()(Element e) const { return fn(std::move(e)); }
};

Dataset make_map(const Dataset& input, MapFn fn, RandomMapFn random_fn, MapOptions options) {
  SPOOL_CHECK(fn || random_fn, InvalidArgument, "map: the function is empty");
  const std::int64_t parallelism = options.parallelism();
  const bool deterministic = options.deterministic();
  std::vector<detail::MapStep> steps{{std::move(fn), std::move(random_fn), std::move(options)}};
  return Dataset(std::make_shared<detail::MapNode>(input.node(), std::move(steps), parallelism, deterministic),
                 input.options());
}

}  // namespace

MapFn elementwise(MapFn fn) {
  if (detail::is_elementwise(fn)) return fn;
  return ElementwiseFunction{std::move(fn)};
}

bool detail::is_elementwise(const MapFn& fn) { return fn.target<ElementwiseFunction>() != nullptr; }

MapOptions& MapOptions::parallelism(std::int64_t n) {
  SPOOL_CHECK(n == kAutotune || (n >= 1 && n <= 1024), InvalidArgument,
              "map: parallelism must be kAutotune or in [1, 1024], got ", n);
  parallelism_ = n;
  return *this;
}

Dataset Dataset::map(MapFn fn, MapOptions options) const {
  return make_map(*this, std::move(fn), nullptr, std::move(options));
}

Dataset Dataset::map(RandomMapFn fn, MapOptions options) const {
  return make_map(*this, nullptr, std::move(fn), std::move(options));
}

}  // namespace spool::data
