// CountingIterator: a UnaryIterator whose own state is one count of input elements,
// saved before the input's state. filter, take_while, skip, shard and enumerate
// derive from it.
//
// Thread-safety: as every IteratorBase (one consumer thread at a time).
#pragma once

#include <cstdint>
#include <optional>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

class CountingIterator : public UnaryIterator {
 public:
  using UnaryIterator::UnaryIterator;

 protected:
  // The next input element, and its position in `index`. An input error uses up its
  // position too, so the positions of later elements do not depend on errors.
  std::optional<Element> pull_counted(std::int64_t& index) {
    index = count_++;
    std::optional<Element> e = pull(input());
    if (!e) --count_;
    return e;
  }
  void save(StateWriter& writer) override {
    writer.write_i64(count_);
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    count_ = reader.read_count("the count of input elements");
    UnaryIterator::restore(reader);
  }

  std::int64_t count_ = 0;  // input elements pulled (the meaning of "pulled" is the stage's)
};

}  // namespace spool::data::detail
