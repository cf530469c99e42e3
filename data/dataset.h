// Dataset: an immutable description of a streaming input pipeline, tf.data-style.
//
//   auto ds = Dataset::from_tensor_slices({images, labels})
//                 .shuffle(ShuffleOptions().buffer_size(60000).seed(42))
//                 .map([](Element e) { return Element{e[0].cast(DType::kF32), e[1]}; },
//                      MapOptions().parallelism(kAutotune))
//                 .batch(32, /*drop_remainder=*/true)
//                 .prefetch(kAutotune);
//   for (Element& batch : ds) train(batch);        // a fresh Iterator per loop
//
// A Dataset is cheap to copy (copies share its stages) and its description never
// changes; each make_iterator() is a pass with its own position, buffers and threads, so
// the same Dataset may be iterated twice, or by several threads at once. As in tf.data,
// the iterators of one stage share two things, each an explicit thread-safe object the
// stage's node owns:
// - a shuffle (list_files' and ImageFolderDataset's too) counts the iterators made of
//   it: the k-th uses iteration k, a different
//   order per iteration that the seed determines (a Dataset built anew starts again at
//   iteration 0, so `for epoch: for batch : ds` reshuffles every epoch, reproducibly).
//   Iterators alive at once each get their own iteration, in the order they first reach
//   the shuffle; make_iterator_at(k) pins it (ops/shuffle.h, detail/iteration_counter.h).
// - an in-memory cache, once a pass has completed it, serves every later pass of every
//   iterator; a pass that stops early leaves nothing behind (ops/cache.cc).
//
// Guarantees (see docs/ARCHITECTURE.md): with fixed seeds the elements and their
// order do not depend on parallelism (unless deterministic(false)); an error arrives
// at the element that caused it; save()/make_iterator(state) resumes exactly;
// buffers share one byte budget (Options).
//
// Adding a stage: one .h/.cc pair under data/ops/ (options and docs in the header; the
// DatasetNode, its IteratorBase and the Dataset method below in the .cc).
// Thread-safety: all const members may be called from any thread; the objects stages
// share among iterators (iteration counts, in-memory caches) are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spool/data/element.h"
#include "spool/data/iterator.h"
#include "spool/data/iterator_state.h"
#include "spool/data/options.h"
#include "spool/data/ops/interleave.h"
#include "spool/data/ops/map.h"
#include "spool/data/ops/padded_batch.h"
#include "spool/data/ops/parse_example_batch.h"
#include "spool/data/ops/shuffle.h"
#include "spool/data/ops/window.h"

namespace spool::data {

using Predicate = std::function<bool(const Element&)>;
// Called once per pass; returns the pass's generator (nullopt ends the pass).
using GeneratorFactory = std::function<std::function<std::optional<Element>()>()>;

class Dataset {
 public:
  explicit Dataset(detail::NodePtr node, Options options = {});

  // ---- sources (more in data/sources/: TFRecordDataset, IdxDataset, ...) ----
  static Dataset range(std::int64_t stop);
  static Dataset range(std::int64_t start, std::int64_t stop, std::int64_t step = 1);
  // Slices every component along axis 0; all must have the same extent there.
  static Dataset from_tensor_slices(Element components);
  // Elements from a C++ callable. Restoring a saved position calls the factory anew
  // and skips the elements already produced (a generator cannot be rewound otherwise).
  static Dataset from_generator(GeneratorFactory factory, std::int64_t cardinality = kUnknownCardinality);
  // Element i of the result joins element i of each input (components concatenated);
  // ends with the shortest input.
  static Dataset zip(std::vector<Dataset> datasets);

  // ---- transformations ----
  Dataset map(MapFn fn, MapOptions options = {}) const;
  Dataset map(RandomMapFn fn, MapOptions options = {}) const;
  Dataset filter(Predicate predicate) const;
  // Stacks batch_size elements component by component; shapes must agree.
  Dataset batch(std::int64_t batch_size, bool drop_remainder = false) const;
  Dataset padded_batch(std::int64_t batch_size, PaddedBatchOptions options = {}) const;
  // batch + parse_example fused, for FixedLen features (see ops/parse_example_batch.h).
  Dataset parse_example_batch(FeatureSpec spec, std::int64_t batch_size, bool drop_remainder = false) const;
  // Splits every component along axis 0 into elements.
  Dataset unbatch() const;
  // Re-slices a stream of batches into batches of batch_size.
  Dataset rebatch(std::int64_t batch_size, bool drop_remainder = false) const;
  Dataset shuffle(ShuffleOptions options) const;
  Dataset shuffle(std::int64_t buffer_size, std::optional<std::uint64_t> seed = std::nullopt) const;
  // count passes, or forever (kInfiniteCardinality); each pass is an epoch to stages
  // below it (reshuffle, per-element random numbers).
  Dataset repeat(std::int64_t count = kInfiniteCardinality) const;
  Dataset take(std::int64_t count) const;
  Dataset skip(std::int64_t count) const;
  // Keeps elements index, index + num_shards, ... .
  Dataset shard(std::int64_t num_shards, std::int64_t index) const;
  // Computes up to buffer_size elements ahead on a background thread.
  Dataset prefetch(std::int64_t buffer_size = kAutotune) const;
  // Keeps the first full pass (in memory, or in `filename`, which a later run reuses
  // when it is complete) and replays it on later passes, of this iterator and of later
  // ones.
  Dataset cache(std::string filename = {}) const;
  Dataset interleave(InterleaveFn fn, InterleaveOptions options = {}) const;
  Dataset zip(const Dataset& other) const;
  Dataset concatenate(const Dataset& other) const;
  // Prepends an i64 scalar counter to each element.
  Dataset enumerate(std::int64_t start = 0) const;
  Dataset window(std::int64_t size, WindowOptions options = {}) const;
  // Ends the stream at the first element for which predicate is false.
  Dataset take_while(Predicate predicate) const;
  // Drops elements whose computation threw (counted in the stats as skipped_errors).
  Dataset ignore_errors() const;
  // Pipeline-wide options for iterators made from the result.
  Dataset with_options(Options options) const;

  // ---- passes ----
  Iterator make_iterator() const;
  // Resumes a saved iterator, its iteration included (and later iterators count on
  // from there, so a run resumed in a new process sees the orders the saved one would).
  Iterator make_iterator(const IteratorState& state) const;
  // An iterator whose shuffles use iteration k and take no number from their counts (as
  // PyTorch's DistributedSampler.set_epoch): replicas that each read a shard of the same
  // order make their iterators with the same k.
  Iterator make_iterator_at(std::uint64_t iteration) const;
  ElementCursor begin() const;
  ElementCursor end() const { return {}; }

  // Elements one pass yields, kInfiniteCardinality or kUnknownCardinality.
  std::int64_t cardinality() const;
  const Options& options() const { return options_; }
  const detail::NodePtr& node() const { return node_; }

 private:
  // A Dataset reading this one through `node`, with the same options.
  Dataset derive(detail::NodePtr node) const { return Dataset(std::move(node), options_); }

  detail::NodePtr node_;
  Options options_;
};

}  // namespace spool::data
