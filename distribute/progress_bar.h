// ProgressBar: Keras' training progress line for the fit loop.
//
//   ProgressBar bar(std::cerr, /*steps=*/1875, ProgressBar::Mode::kAuto);
//   bar.update(step, {{"loss", 0.43}, {"accuracy", 0.85}});   // redrawn at most 10x a second
//   bar.finish({{"loss", 0.41}, {"accuracy", 0.86}, {"val_loss", 0.39}});
//
// On a terminal: "1234/1875 [==================>...........] - ETA: 12s - loss: 0.4321"
// redrawn in place with '\r'. Elsewhere (a log file, a pipe, CI): nothing while the epoch
// runs and one plain line at its end, so logs stay readable. kAuto asks isatty() of
// stderr when the stream is std::cerr/std::clog, of stdout for std::cout, and treats
// any other stream as not a terminal.
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace spool::distribute {

using NamedValues = std::vector<std::pair<std::string, double>>;

class ProgressBar {
 public:
  enum class Mode { kAuto, kTerminal, kPlain, kSilent };

  // steps < 0: unknown length (the bar shows the count only).
  ProgressBar(std::ostream& out, std::int64_t steps, Mode mode = Mode::kAuto);

  // After `step` steps (1-based) are done, with the running values to show.
  void update(std::int64_t step, const NamedValues& values);
  // Ends the line with the final values (validation included) and the epoch's time.
  void finish(const NamedValues& values);

  bool is_terminal() const { return mode_ == Mode::kTerminal; }
  // The line update() would draw now: exposed for tests.
  std::string line(std::int64_t step, const NamedValues& values) const;

 private:
  std::ostream& out_;
  std::int64_t steps_;
  Mode mode_;
  std::int64_t last_step_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "loss: 0.4321 - accuracy: 0.8456": Keras' formatting of the values.
std::string format_values(const NamedValues& values);

}  // namespace spool::distribute
