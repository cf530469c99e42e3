// Helpers for pipeline tests: draining datasets, and the resume check every stage's
// test runs (save at each cut point, resume, compare with the uninterrupted run).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "spool/data/dataset.h"

namespace spool::testing {

// A dataset of the given elements, in order, with a known cardinality.
inline data::Dataset from_elements(std::vector<data::Element> elements) {
  const auto n = static_cast<std::int64_t>(elements.size());
  return data::Dataset::from_generator(
      [elements = std::move(elements)] {
        return [elements, i = std::size_t{0}]() mutable -> std::optional<data::Element> {
          if (i == elements.size()) return std::nullopt;
          return elements[i++];
        };
      },
      n);
}

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
// `make_cut()` makes the iterator to cut, `resume(state)` the resumed one.
template <typename MakeCut, typename Resume>
void expect_resumes_exactly_with(const std::vector<data::Element>& expected, const std::vector<std::int64_t>& cuts,
                                 MakeCut make_cut, Resume resume) {
  for (std::int64_t cut : cuts) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " of " + std::to_string(expected.size()) + " elements");
    data::Iterator it = make_cut();
    std::vector<data::Element> got = drain(it, cut);
    const data::IteratorState state = data::IteratorState::from_bytes(it.save().bytes());
    data::Iterator resumed = resume(state);
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

// The check on iterators of one Dataset. Its shuffles give every iterator a new order,
// so the uninterrupted pass and the cut ones are all pinned to iteration 0; the resumed
// one takes its iteration from the state.
inline void expect_resumes_exactly(const data::Dataset& ds, const std::vector<std::int64_t>& cuts) {
  data::Iterator uninterrupted = ds.make_iterator_at(0);
  expect_resumes_exactly_with(
      drain(uninterrupted), cuts, [&] { return ds.make_iterator_at(0); },
      [&](const data::IteratorState& state) { return ds.make_iterator(state); });
}

// The check with every pass over a Dataset built anew by `build` (as a new process
// would): state the iterators of a stage share (an in-memory cache, an iteration count)
// starts empty each time.
inline void expect_resumes_exactly(const std::function<data::Dataset()>& build, const std::vector<std::int64_t>& cuts) {
  expect_resumes_exactly_with(
      drain(build()), cuts, [&] { return build().make_iterator(); },
      [&](const data::IteratorState& state) { return build().make_iterator(state); });
}

// Every cut from 0 to the length of the pass.
inline std::vector<std::int64_t> all_cuts(const data::Dataset& ds) {
  const std::int64_t n = static_cast<std::int64_t>(drain(ds).size());
  std::vector<std::int64_t> cuts;
  for (std::int64_t i = 0; i <= n; ++i) cuts.push_back(i);
  return cuts;
}

}  // namespace spool::testing
