// Iterator: one pass over a Dataset, with its own state, threads and statistics.
//
//   Iterator it = ds.make_iterator();
//   while (std::optional<Element> e = it.next()) train(*e);   // nullopt: the end
//   IteratorState state = it.save();           // exact position, buffers included
//   Iterator again = ds.make_iterator(state);  // continues with the very next element
//   std::cout << it.stats();                   // per-stage table
//
// An exception from next() is the error of one element (the stage and element are
// in its message); the iterator may be asked for the next element afterwards.
// Destroying an iterator cancels and joins all its background threads, also when
// they are blocked on a full or empty buffer.
// Thread-safety: one thread at a time calls next()/save(); stats() may be called from
// any thread at any time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>

#include "spool/data/element.h"
#include "spool/data/iterator_state.h"
#include "spool/data/options.h"
#include "spool/data/stats.h"

namespace spool::data {

namespace detail {
class DatasetNode;
class IteratorBase;
class PipelineContext;
class CancellationToken;
}  // namespace detail

class Iterator;

// An input iterator over the elements of a pipeline, for range-for.
class ElementCursor {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Element;
  using difference_type = std::ptrdiff_t;
  using pointer = Element*;
  using reference = Element&;

  ElementCursor() = default;  // the end
  explicit ElementCursor(std::shared_ptr<Iterator> iterator);
  Element& operator*() { return *current_; }
  Element* operator->() { return &*current_; }
  ElementCursor& operator++();
  void operator++(int) { ++*this; }
  // Cursors are equal when both are at the end.
  friend bool operator==(const ElementCursor& a, const ElementCursor& b) {
    return !a.current_ && !b.current_;
  }

 private:
  std::shared_ptr<Iterator> iterator_;
  std::optional<Element> current_;
};

class Iterator {
 public:
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();

  std::optional<Element> next();
  // Waits for work in flight in parallel stages, then captures the position.
  IteratorState save();
  PipelineStats stats() const;

  // Range-for over the rest of this iterator's elements.
  ElementCursor begin();
  ElementCursor end() { return {}; }

 private:
  friend class Dataset;
  Iterator(std::shared_ptr<const detail::DatasetNode> root, const Options& options, const IteratorState* state,
           std::optional<std::uint64_t> pinned_iteration = {});

  std::shared_ptr<const detail::DatasetNode> root_;
  std::shared_ptr<detail::PipelineContext> pipeline_;
  std::shared_ptr<detail::CancellationToken> cancel_;
  std::unique_ptr<detail::IteratorBase> impl_;
};

}  // namespace spool::data
