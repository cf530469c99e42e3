// Options for a whole pipeline, and the constants stages share.
//
//   auto it = ds.with_options(Options().max_buffered_bytes(256 << 20)).make_iterator();
//
// The byte budget is shared by every buffering stage of one iterator (shuffle,
// prefetch, parallel map, interleave, cache); a stage that would pass it waits
// (backpressure), except for the elements its consumer is waiting for (see
// detail/memory_budget.h), and autotune never grows a buffer past it.
// Thread-safety: a plain value.
#pragma once

#include "spool/data/optimizations.h"

#include <cstdint>

namespace spool::data {

// Parallelism or buffer size chosen at run time (tf.data.AUTOTUNE).
inline constexpr std::int64_t kAutotune = -1;

// cardinality() results, as tf.data.INFINITE_CARDINALITY / UNKNOWN_CARDINALITY.
inline constexpr std::int64_t kInfiniteCardinality = -1;
inline constexpr std::int64_t kUnknownCardinality = -2;

class Options {
 public:
  // Bytes all buffers of one iterator may hold together (default 1 GiB; 0 = no limit).
  Options& max_buffered_bytes(std::int64_t bytes);
  std::int64_t max_buffered_bytes() const { return max_buffered_bytes_; }

  // Per-stage timing (two clock reads per element and stage); on by default.
  Options& collect_stats(bool on) {
    collect_stats_ = on;
    return *this;
  }
  bool collect_stats() const { return collect_stats_; }

  // Threads an autotuned parallel stage uses (default: the machine's cores).
  Options& autotune_parallelism(std::int64_t threads);
  std::int64_t autotune_parallelism() const;

  // The rewrites applied to the pipeline before it runs (see optimizations.h).
  Options& optimizations(Optimizations o) {
    optimizations_ = o;
    return *this;
  }
  const Optimizations& optimizations() const { return optimizations_; }

 private:
  std::int64_t max_buffered_bytes_ = std::int64_t{1} << 30;
  bool collect_stats_ = true;
  std::int64_t autotune_parallelism_ = 0;  // 0: hardware_concurrency
  Optimizations optimizations_;
};

}  // namespace spool::data
