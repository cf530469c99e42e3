// Internal: how a plan picks its parallel granularity (tensor/thread_pool.h) by timing
// its own replays, as tf.data's autotuner picks a parallelism.
//
// With one kernel thread there is nothing to pick: every replay runs coarse. Otherwise
// the tuner explores, then exploits, and explores again, so that it follows a machine
// whose second core becomes busy or free during the run:
//   warm-up  kWarmup replays, coarse, untimed (caches, the pool's threads);
//   explore  kTrials replays of each granularity, alternating, each timed;
//   exploit  kExploit replays of the one whose median time was lower.
// Exploring costs at most kTrials slower replays in every kExploit + 2·kTrials.
#pragma once

#include <cstdint>
#include <vector>

#include "spool/tensor/thread_pool.h"

namespace spool::graph::detail {

class GranularityTuner {
 public:
  static constexpr int kWarmup = 2;
  static constexpr int kTrials = 8;
  static constexpr int kExploit = 512;

  // The granularity for the next replay, given the kernel threads it will have.
  Granularity next(int threads);
  // That replay took `seconds`.
  void record(double seconds);

  // The granularity chosen by the last exploration (kCoarse before the first ends).
  Granularity chosen() const { return chosen_; }
  // The median replay times of the last exploration (0 before the first ends).
  double coarse_seconds() const { return coarse_median_; }
  double fine_seconds() const { return fine_median_; }

 private:
  enum class Phase { kWarmup, kExplore, kExploit };
  Phase phase_ = Phase::kWarmup;
  std::int64_t in_phase_ = 0;  // replays handed out in this phase
  Granularity pending_ = Granularity::kCoarse;
  bool timed_ = false;  // whether record() should keep the next time
  std::vector<double> coarse_, fine_;
  Granularity chosen_ = Granularity::kCoarse;
  double coarse_median_ = 0, fine_median_ = 0;
};

}  // namespace spool::graph::detail
