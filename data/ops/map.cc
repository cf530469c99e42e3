#include "spool/data/ops/map.h"

#include "spool/data/dataset.h"
#include "spool/data/detail/counting_iterator.h"
#include "spool/data/detail/parallel_iterator.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

class MapNode : public detail::UnaryNode {
 public:
  MapNode(detail::NodePtr input, MapFn fn, RandomMapFn random_fn, MapOptions options)
      : UnaryNode(std::move(input)), fn_(std::move(fn)), random_fn_(std::move(random_fn)), options_(std::move(options)) {}
  std::string name() const override { return options_.name(); }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<MapNode>(in[0], fn_, random_fn_, options_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  // Applies the function to element `index` of pass `epoch`, errors given the context.
  Element apply(Element input, std::uint64_t epoch, std::int64_t index) const {
    try {
      if (fn_) return fn_(std::move(input));
      Generator gen = detail::element_generator(options_.seed(), epoch, static_cast<std::uint64_t>(index));
      return random_fn_(std::move(input), gen);
    } catch (...) {
      detail::rethrow_with_context(options_.name(), index);
    }
  }

  const MapFn fn_;               // one of fn_, random_fn_ is set
  const RandomMapFn random_fn_;
  const MapOptions options_;
};

class MapIterator : public detail::CountingIterator {
 public:
  MapIterator(const MapNode& node, const detail::IteratorContext& context)
      : CountingIterator(node, context), node_(node) {}

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

std::unique_ptr<detail::IteratorBase> MapNode::make_iterator(const detail::IteratorContext& context) const {
  std::int64_t workers = options_.parallelism();
  if (workers == kAutotune) workers = context.pipeline->options().autotune_parallelism();
  if (workers <= 1 && options_.parallelism() != kAutotune) return std::make_unique<MapIterator>(*this, context);
  detail::ParallelConfig config;
  // The consumer is one of the `workers`: it computes elements while it would wait.
  config.workers = workers - 1;
  config.consumer_helps = true;
  // Room for 32 elements per thread (the consumer counts as one). A chunk takes at most
  // a quarter of a thread's share (8 elements, ParallelIterator::reserve_chunk), so
  // every thread finds room for its next chunk while the consumer, woken once per run
  // of capacity / 2 ready elements, takes them.
  config.capacity = 32 * workers;
  config.max_capacity = options_.parallelism() == kAutotune ? 64 * workers : 32 * workers;
  config.deterministic = options_.deterministic();
  const std::uint64_t epoch = context.epoch;
  return std::make_unique<detail::ParallelIterator>(
      *this, context, input(), config,
      [this, epoch](Element e, std::int64_t index) -> std::optional<Element> {
        return apply(std::move(e), epoch, index);
      });
}

Dataset make_map(const Dataset& input, MapFn fn, RandomMapFn random_fn, MapOptions options) {
  SPOOL_CHECK(fn || random_fn, InvalidArgument, "map: the function is empty");
  return Dataset(std::make_shared<MapNode>(input.node(), std::move(fn), std::move(random_fn), std::move(options)),
                 input.options());
}

}  // namespace

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
