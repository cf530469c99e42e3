// Internal: the visiting order the list sources share (list_files, ImageFolderDataset).
// Not part of the public API.
// Thread-safety: seeded_permutation is a pure function; a ListOrder belongs to one
// iterator (the counter it takes its iteration from is thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "spool/data/detail/iteration_counter.h"
#include "spool/data/iterator_state.h"

namespace spool::data::detail {

// A permutation of 0..n-1, a pure function of (seed, stream): Fisher-Yates where
// draw k takes Philox block k of Generator(seed, stream).
std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed, std::uint64_t stream);

// One pass over n items: in order, or in seeded_permutation(n, iteration_seed(seed, k),
// stream) when shuffling, k being the pass's iteration taken from `iterations` (the
// source node's count of its iterators, iteration_counter.h), so a new iterator of the
// dataset visits a new order as tf.data's shuffle does. Without a seed one is drawn at
// random per pass. The seed and iteration are part of the saved state, so a restored
// pass continues the same order and its pipeline's later passes keep its iteration.
class ListOrder {
 public:
  ListOrder(std::size_t n, bool shuffle, std::optional<std::uint64_t> seed, IterationCounter& iterations,
            const IteratorContext& context, std::uint64_t stream);
  // The next item, or nullopt at the end of the pass.
  std::optional<std::size_t> next();
  void save(StateWriter& writer) const;
  // `stage` names the source in errors.
  void restore(StateReader& reader, const IteratorContext& context, std::string_view stage);

 private:
  void make_order();

  const std::size_t n_;
  const bool shuffle_;
  const std::uint64_t stream_;
  IterationCounter& iterations_;
  std::uint64_t iteration_;
  std::uint64_t seed_;  // of the iteration
  std::uint64_t index_ = 0;
  std::vector<std::size_t> order_;
};

}  // namespace spool::data::detail
