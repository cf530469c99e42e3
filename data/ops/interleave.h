// interleave: maps each input element to a Dataset and mixes their elements, taking
// block_length from each of cycle_length open datasets in turn (tf.data's
// interleave). With parallelism > 1 the open datasets are read ahead on worker
// threads, and opened as soon as a slot is free; the output order is the same unless
// deterministic(false).
//
//   Dataset::from_tensor_slices({filenames})
//       .interleave([](const Element& f) { return TFRecordDataset({f[0]}); },
//                   InterleaveOptions().cycle_length(4).parallelism(kAutotune));
//
// Errors of the input, of fn and of the inner datasets arrive where they happen in
// that order; an error does not move the cycle on (as tf.data). The cardinality is
// unknown. Saving an iterator records, per open dataset, the input element that made
// it; restoring calls fn again on that element, so fn must be deterministic (return
// the same dataset for the same element).
// Thread-safety: the function is called from the consumer's thread.
#pragma once

#include <cstdint>
#include <functional>

#include "spool/data/detail/dataset_node.h"

namespace spool::data {

class Dataset;
using InterleaveFn = std::function<Dataset(const Element&)>;

class InterleaveOptions {
 public:
  InterleaveOptions& cycle_length(std::int64_t n);  // kAutotune: the machine's cores
  std::int64_t cycle_length() const { return cycle_length_; }
  InterleaveOptions& block_length(std::int64_t n);
  std::int64_t block_length() const { return block_length_; }
  // Readers: the consumer and n - 1 threads, at most cycle_length in all (1: no
  // threads); kAutotune: cycle_length, at most the cores.
  InterleaveOptions& parallelism(std::int64_t n);
  std::int64_t parallelism() const { return parallelism_; }
  InterleaveOptions& deterministic(bool on) {
    deterministic_ = on;
    return *this;
  }
  bool deterministic() const { return deterministic_; }

 private:
  std::int64_t cycle_length_ = kAutotune;
  std::int64_t block_length_ = 1;
  std::int64_t parallelism_ = 1;
  bool deterministic_ = true;
};

}  // namespace spool::data
