// KernelThreadTuner: chooses the kernel pool's size by measuring training steps
// (spool train --threads auto), as tf.data's autotuner moves threads by measurement.
//
//   options.callback(std::make_shared<KernelThreadTuner>(KernelThreadTuner::candidates_for(cores)));
//
// The kernels and the input pipeline share the cores (docs/parallelism.md): all cores
// to the kernels is best while the pipeline is cheap, fewer when its workers need
// them. Which holds depends on the model, the data and the machine, so after a few
// warm-up steps the tuner runs a window of steps with each candidate count, measures
// steps per second over each (the whole step, the wait for input included), and keeps
// the fastest. Candidates go from the most threads down; ties keep the larger count.
// When training ends before the last window, the fastest count measured is kept.
// Thread-safety: a callback of one Trainer; not shared.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "spool/distribute/fit.h"

namespace spool::distribute {

class KernelThreadTuner : public Callback {
 public:
  struct Trial {
    int threads;
    double steps_per_second;
  };

  // `set_threads` sets the kernel pool's size (set_num_threads by default), `now` reads
  // a clock in seconds (steady_clock by default); tests give their own.
  explicit KernelThreadTuner(std::vector<int> candidates, int warmup_steps = 5, int window_steps = 20,
                             std::function<void(int)> set_threads = {}, std::function<double()> now = {});

  // The counts worth trying on `cores` cores: all, one fewer (a core for the input
  // pipeline's workers), half.
  static std::vector<int> candidates_for(int cores);

  void on_train_begin(Trainer& trainer) override;
  void on_batch_end(std::int64_t step, Trainer& trainer) override;
  void on_train_end(const History& history, Trainer& trainer) override;

  const std::vector<Trial>& trials() const { return trials_; }
  // The count in use once tuning ended; none before.
  std::optional<int> chosen() const { return chosen_; }

 private:
  void start_window(std::size_t candidate);
  void finish();

  const std::vector<int> candidates_;
  const int warmup_steps_;
  const int window_steps_;
  const std::function<void(int)> set_threads_;
  const std::function<double()> now_;
  std::vector<Trial> trials_;
  std::optional<int> chosen_;
  std::int64_t steps_ = 0;          // steps seen in this training
  std::size_t candidate_ = 0;       // the candidate of the window running
  std::int64_t window_start_ = -1;  // step after which the window's clock started
  double started_at_ = 0;
};

}  // namespace spool::distribute
