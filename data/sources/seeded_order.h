// Internal: the visiting order the list sources share (list_files, ImageFolderDataset).
// Not part of the public API.
// Thread-safety: seeded_permutation is a pure function; a ListOrder belongs to one
// iterator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "spool/data/iterator_state.h"

namespace spool::data::detail {

// A permutation of 0..n-1, a pure function of (seed, stream): Fisher-Yates where
// draw k takes Philox block k of Generator(seed, stream).
std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed, std::uint64_t stream);

// One pass over n items: in order, or in seeded_permutation(n, seed, stream) when
// shuffling. Without a seed one is drawn at random; it is part of the saved state, so a
// restored pass continues the same order.
class ListOrder {
 public:
  ListOrder(std::size_t n, bool shuffle, std::optional<std::uint64_t> seed, std::uint64_t stream);
  // The next item, or nullopt at the end of the pass.
  std::optional<std::size_t> next();
  void save(StateWriter& writer) const;
  // `stage` names the source in errors.
  void restore(StateReader& reader, std::string_view stage);

 private:
  void make_order();

  const std::size_t n_;
  const bool shuffle_;
  const std::uint64_t stream_;
  std::uint64_t seed_;
  std::uint64_t index_ = 0;
  std::vector<std::size_t> order_;
};

}  // namespace spool::data::detail
