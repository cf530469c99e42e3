// map: applies a function to every element, in order, on one thread or on N worker
// threads (tf.data's map with num_parallel_calls and deterministic).
//
//   ds.map([](Element e) { return Element{normalize(e[0]), e[1]}; },
//          MapOptions().parallelism(kAutotune));
//   ds.map([](Element e, Generator& gen) { return Element{random_flip(e[0], gen), e[1]}; },
//          MapOptions().seed(7));             // per-element randomness
//
// Order: results come in input order (deterministic) unless deterministic(false), in
// which case they come as they finish. A function's exception arrives at the element
// that raised it, rethrown on the consumer as the same exception type with
// "map: element #517: " before the original message.
// Randomness: a RandomMapFn gets Generator(seed, (epoch << 40) + index) where index
// counts the elements of this pass: the numbers depend only on the seed, the epoch
// (see repeat) and the element's position, never on the workers or timing. Unlike a
// shuffle's order they do not change with each new iterator of the dataset: a loop
// over the dataset per epoch draws the same numbers every epoch, a repeat new ones.
// Give two random maps different seeds; the default seed is 0.
// Thread-safety: the function is called concurrently from the worker threads when
// parallelism > 1, and must be safe for that.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "spool/data/detail/dataset_node.h"
#include "spool/data/element.h"
#include "spool/tensor/random.h"

namespace spool::data {

using MapFn = std::function<Element(Element)>;
using RandomMapFn = std::function<Element(Element, Generator&)>;

class MapOptions {
 public:
  // Worker threads: 1 (the default) maps on the consumer's thread; kAutotune uses
  // Options::autotune_parallelism() threads.
  MapOptions& parallelism(std::int64_t n);
  std::int64_t parallelism() const { return parallelism_; }
  MapOptions& deterministic(bool on) {
    deterministic_ = on;
    return *this;
  }
  bool deterministic() const { return deterministic_; }
  MapOptions& seed(std::uint64_t s) {
    seed_ = s;
    return *this;
  }
  std::uint64_t seed() const { return seed_; }
  // The function may run on several threads at once and its result depends only on
  // its arguments (a RandomMapFn's Generator included): lets the map_parallelization
  // rewrite (optimizations.h) run an inline map in parallel.
  MapOptions& stateless(bool on) {
    stateless_ = on;
    return *this;
  }
  bool stateless() const { return stateless_; }
  // The stage's name in stats and errors (default "map").
  MapOptions& name(std::string n) {
    name_ = std::move(n);
    return *this;
  }
  const std::string& name() const { return name_; }

 private:
  std::int64_t parallelism_ = 1;
  bool deterministic_ = true;
  bool stateless_ = false;
  std::uint64_t seed_ = 0;
  std::string name_ = "map";
};

// `fn`, declared elementwise: applied to a batch of elements (each component with a
// leading batch axis) it returns the batch of its results, its values computed value
// by value (rescale_fn and convert_dtype_fn are). The map + batch fusion
// (optimizations.h) then batches first and calls fn once per batch.
MapFn elementwise(MapFn fn);

namespace detail {
// Whether fn came from elementwise().
bool is_elementwise(const MapFn& fn);

// The generator a RandomMapFn gets for element `index` of pass `epoch`.
inline Generator element_generator(std::uint64_t seed, std::uint64_t epoch, std::uint64_t index) {
  return Generator(seed, (epoch << 40) + index);
}
}  // namespace detail

}  // namespace spool::data
