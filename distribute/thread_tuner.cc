#include "spool/distribute/thread_tuner.h"

#include <algorithm>
#include <chrono>

#include "spool/tensor/error.h"
#include "spool/tensor/thread_pool.h"

namespace spool::distribute {

KernelThreadTuner::KernelThreadTuner(std::vector<int> candidates, int warmup_steps, int window_steps,
                                     std::function<void(int)> set_threads, std::function<double()> now)
    : candidates_(std::move(candidates)),
      warmup_steps_(warmup_steps),
      window_steps_(window_steps),
      set_threads_(set_threads ? std::move(set_threads) : [](int n) { set_num_threads(n); }),
      now_(now ? std::move(now) : [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
      }) {
  SPOOL_CHECK(!candidates_.empty(), InvalidArgument, "KernelThreadTuner: no candidate thread counts");
  for (const int c : candidates_) {
    SPOOL_CHECK(c >= 1, InvalidArgument, "KernelThreadTuner: a candidate of ", c, " threads");
  }
  SPOOL_CHECK(warmup_steps_ >= 0 && window_steps_ >= 1, InvalidArgument, "KernelThreadTuner: warm-up of ",
              warmup_steps_, " steps and windows of ", window_steps_, " (need >= 0 and >= 1)");
}

std::vector<int> KernelThreadTuner::candidates_for(int cores) {
  std::vector<int> out;
  for (const int c : {cores, cores - 1, cores / 2}) {
    if (c >= 1 && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

void KernelThreadTuner::on_train_begin(Trainer&) {
  trials_.clear();
  chosen_.reset();
  steps_ = 0;
  window_start_ = -1;
  if (candidates_.size() == 1) finish();
}

void KernelThreadTuner::start_window(std::size_t candidate) {
  candidate_ = candidate;
  set_threads_(candidates_[candidate]);
  // One step to settle (the pool's threads start or park), then the clock starts.
  window_start_ = steps_ + 1;
}

void KernelThreadTuner::on_batch_end(std::int64_t, Trainer&) {
  if (chosen_) return;
  ++steps_;
  if (window_start_ < 0) {
    if (steps_ >= warmup_steps_) start_window(0);
    return;
  }
  if (steps_ == window_start_) {
    started_at_ = now_();
    return;
  }
  if (steps_ < window_start_ + window_steps_) return;
  const double seconds = now_() - started_at_;
  trials_.push_back({candidates_[candidate_], seconds > 0 ? window_steps_ / seconds : 0.0});
  if (candidate_ + 1 < candidates_.size()) {
    start_window(candidate_ + 1);
  } else {
    finish();
  }
}

void KernelThreadTuner::on_train_end(const History&, Trainer&) {
  if (!chosen_) finish();
}

void KernelThreadTuner::finish() {
  int best = candidates_.front();
  double best_rate = -1;
  for (const Trial& t : trials_) {
    if (t.steps_per_second > best_rate) {  // strictly faster: a tie keeps the earlier, larger count
      best = t.threads;
      best_rate = t.steps_per_second;
    }
  }
  chosen_ = best;
  set_threads_(best);
}

}  // namespace spool::distribute
