// Helpers for pipeline tests: draining datasets, and the resume check every stage's
// test runs (save at each cut point, resume, compare with the uninterrupted run).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "spool/data/dataset.h"

namespace spool::testing {

// All elements of one pass.
inline std::vector<data::Element> drain(data::Iterator& it, std::int64_t limit = -1) {
  std::vector<data::Element> out;
  while (limit < 0 || static_cast<std::int64_t>(out.size()) < limit) {
    std::optional<data::Element> e = it.next();
    if (!e) break;
    out.push_back(std::move(*e));
  }
  return out;
}

inline std::vector<data::Element> drain(const data::Dataset& ds, std::int64_t limit = -1) {
  data::Iterator it = ds.make_iterator();
  return drain(it, limit);
}

// Component `k` of every element, for scalar i64 components.
inline std::vector<std::int64_t> scalars(const std::vector<data::Element>& elements, std::size_t k = 0) {
  std::vector<std::int64_t> out;
  for (const auto& e : elements) out.push_back(e[k].item<std::int64_t>());
  return out;
}

inline std::vector<std::int64_t> scalars(const data::Dataset& ds, std::size_t k = 0) {
  return scalars(drain(ds), k);
}

// Saves an iterator after `cut` elements (for each cut in `cuts`), resumes a new
// iterator from the state (through bytes, as a file would), and checks that the
// first `cut` elements plus the resumed rest equal the uninterrupted pass. Also
// checks that the original iterator, saved mid-stream, continues unchanged.
inline void expect_resumes_exactly(const data::Dataset& ds, const std::vector<std::int64_t>& cuts) {
  const std::vector<data::Element> expected = drain(ds);
  for (std::int64_t cut : cuts) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " of " + std::to_string(expected.size()) + " elements");
    data::Iterator it = ds.make_iterator();
    std::vector<data::Element> got = drain(it, cut);
    const data::IteratorState state = data::IteratorState::from_bytes(it.save().bytes());
    data::Iterator resumed = ds.make_iterator(state);
    std::vector<data::Element> rest = drain(resumed);
    std::vector<data::Element> original_rest = drain(it);
    ASSERT_EQ(got.size() + rest.size(), expected.size());
    ASSERT_EQ(original_rest.size(), rest.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "element " << i;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      ASSERT_EQ(rest[i], expected[got.size() + i]) << "resumed element " << got.size() + i;
      ASSERT_EQ(original_rest[i], expected[got.size() + i]) << "element " << got.size() + i << " after save";
    }
  }
}

// Every cut from 0 to the length of the pass.
inline std::vector<std::int64_t> all_cuts(const data::Dataset& ds) {
  const std::int64_t n = static_cast<std::int64_t>(drain(ds).size());
  std::vector<std::int64_t> cuts;
  for (std::int64_t i = 0; i <= n; ++i) cuts.push_back(i);
  return cuts;
}

}  // namespace spool::testing
