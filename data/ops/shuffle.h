// shuffle: tf.data's buffered shuffle. Fills a buffer of buffer_size elements, then
// yields a uniformly chosen one and replaces it with the next input element.
//
//   ds.shuffle(ShuffleOptions().buffer_size(10000).seed(42)).repeat(3)   // 3 permutations
//   auto shuffled = ds.shuffle(ShuffleOptions().buffer_size(10000).seed(42));
//   for (int epoch = 0; epoch < 3; ++epoch)
//     for (Element& e : shuffled) train(e);                             // 3 permutations too
//
// With reshuffle_each_iteration (the default), as tf.data, every pass gets a new order:
// each pass a repeat starts (its epoch), and each new iterator of the dataset (its
// iteration: the k-th iterator made uses iteration k, see iteration_counter.h). The
// order is a pure function of (seed, iteration, epoch), so a dataset built anew gives
// the same sequence of orders. Without reshuffle_each_iteration every pass of every
// iterator of the dataset sees one order. Without a seed the seed is drawn at random
// once per dataset, when the stage is built (as tf.data): orders then differ between
// datasets built alike, and follow the same rules within one. A saved state holds the
// seed and the iteration, so a restored iterator continues the same order.
// Shared state: the iteration count, an IterationCounter the node owns; the node is
// otherwise immutable.
// The buffer's bytes count against Options::max_buffered_bytes: when the budget is
// full the buffer stops growing (a smaller effective buffer), which keeps memory
// bounded at the price of less mixing; the order is still reproducible for a fixed
// budget.
// The buffer holds elements as they reach the shuffle, so place it before a map that
// widens them: Fashion-MNIST's 60 000 images are 47 MB as u8 and 188 MB once
// normalised to f32, and a full-dataset buffer after the normalising map holds the
// latter (tf.data's guide recommends the same order: shuffle, then map).
// it.stats() says so when it happens (PipelineStats::memory_note).
// Thread-safety: as every stage (see dataset.h); the iteration count is thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "spool/data/detail/dataset_node.h"

namespace spool::data {

class ShuffleOptions {
 public:
  ShuffleOptions& buffer_size(std::int64_t n);
  std::int64_t buffer_size() const { return buffer_size_; }
  ShuffleOptions& seed(std::uint64_t s) {
    seed_ = s;
    return *this;
  }
  const std::optional<std::uint64_t>& seed() const { return seed_; }
  ShuffleOptions& reshuffle_each_iteration(bool on) {
    reshuffle_ = on;
    return *this;
  }
  bool reshuffle_each_iteration() const { return reshuffle_; }

 private:
  std::int64_t buffer_size_ = 1024;
  std::optional<std::uint64_t> seed_;
  bool reshuffle_ = true;
};

}  // namespace spool::data
