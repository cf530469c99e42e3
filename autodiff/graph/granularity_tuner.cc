#include "spool/autodiff/graph/detail/granularity_tuner.h"

#include <algorithm>

namespace spool::graph::detail {
namespace {

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

Granularity GranularityTuner::next(int threads) {
  timed_ = false;
  if (threads < 2) return Granularity::kCoarse;
  switch (phase_) {
    case Phase::kWarmup:
      if (in_phase_++ < kWarmup) return pending_ = Granularity::kCoarse;
      phase_ = Phase::kExplore;
      in_phase_ = 0;
      coarse_.clear();
      fine_.clear();
      [[fallthrough]];
    case Phase::kExplore:
      if (in_phase_ < 2 * kTrials) {
        timed_ = true;
        return pending_ = (in_phase_++ % 2 == 0) ? Granularity::kCoarse : Granularity::kFine;
      }
      if (!coarse_.empty() && !fine_.empty()) {  // a replay that threw recorded nothing
        coarse_median_ = median(coarse_);
        fine_median_ = median(fine_);
        chosen_ = fine_median_ < coarse_median_ ? Granularity::kFine : Granularity::kCoarse;
      }
      phase_ = Phase::kExploit;
      in_phase_ = 0;
      [[fallthrough]];
    case Phase::kExploit:
      if (in_phase_++ < kExploit) return pending_ = chosen_;
      phase_ = Phase::kExplore;
      in_phase_ = 0;
      coarse_.clear();
      fine_.clear();
      return next(threads);
  }
  return Granularity::kCoarse;
}

void GranularityTuner::record(double seconds) {
  if (!timed_) return;
  timed_ = false;
  (pending_ == Granularity::kFine ? fine_ : coarse_).push_back(seconds);
}

}  // namespace spool::graph::detail
