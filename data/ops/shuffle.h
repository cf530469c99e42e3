// shuffle: tf.data's buffered shuffle. Fills a buffer of buffer_size elements, then
// yields a uniformly chosen one and replaces it with the next input element.
//
//   ds.shuffle(ShuffleOptions().buffer_size(10000).seed(42)).repeat(3)   // 3 permutations
//
// With a seed the order is a pure function of (seed, epoch): each pass that repeat
// starts gets a new order when reshuffle_each_iteration (the default), the same
// order otherwise. Without a seed the seed is drawn at random when the iterator is
// made (and saved in its state, so a restored iterator continues the same order).
// The buffer's bytes count against Options::max_buffered_bytes: when the budget is
// full the buffer stops growing (a smaller effective buffer), which keeps memory
// bounded at the price of less mixing; the order is still reproducible for a fixed
// budget.
// Thread-safety: as every stage (see dataset.h).
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
