// ProgressBar: the one progress line of Spool, in two styles.
//
// Keras' training line (the default; what fit() draws):
//   ProgressBar bar(std::cerr, /*steps=*/1875, ProgressBar::Mode::kAuto);
//   bar.update(step, {{"loss", 0.43}, {"accuracy", 0.85}});   // redrawn at most 10x a second
//   bar.finish({{"loss", 0.41}, {"accuracy", 0.86}, {"val_loss", 0.39}});
// On a terminal: "1234/1875 [==================>...........] - ETA: 12s - loss: 0.4321"
// redrawn in place with '\r'. Elsewhere (a log file, a pipe, CI): nothing while the epoch
// runs and one plain line at its end, so logs stay readable.
//
// A command's transient bar (Style::kThroughput; `spool convert`):
//   ProgressBar bar(std::cerr, total, ProgressBar::Options().style(ProgressBar::Style::kThroughput).unit("images"));
//   for (...) bar.update(done);
//   bar.finish();   // erases the line; the command's summary follows
// On a terminal: "[#######.......] 412/1027  40% 388 images/s", redrawn in place at most
// ten times a second; elsewhere nothing at all, so scripts and logs see only the summary.
// clear() erases a drawn line of either style so a message can be printed; the next
// update() draws again.
//
// kAuto asks isatty() of stderr when the stream is std::cerr/std::clog, of stdout for
// std::cout, and treats any other stream as not a terminal.
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
  // kKeras shows values and keeps its last line; kThroughput shows a rate in `unit`s per
  // second, no values, draws on a terminal only and is erased by finish().
  enum class Style { kKeras, kThroughput };

  class Options {
   public:
    Options& mode(Mode m) {
      mode_ = m;
      return *this;
    }
    Options& style(Style s) {
      style_ = s;
      return *this;
    }
    // What kThroughput counts ("images"); kKeras ignores it.
    Options& unit(std::string u) {
      unit_ = std::move(u);
      return *this;
    }
    Mode mode() const { return mode_; }
    Style style() const { return style_; }
    const std::string& unit() const { return unit_; }

   private:
    Mode mode_ = Mode::kAuto;
    Style style_ = Style::kKeras;
    std::string unit_ = "steps";
  };

  // steps < 0: unknown length (the Keras bar shows the count only).
  ProgressBar(std::ostream& out, std::int64_t steps, Mode mode = Mode::kAuto);
  ProgressBar(std::ostream& out, std::int64_t steps, Options options);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // After `step` steps (1-based) are done, with the running values to show.
  void update(std::int64_t step, const NamedValues& values = {});
  // kKeras: ends the line with the final values (validation included) and the epoch's
  // time. kThroughput: erases the bar (idempotent).
  void finish(const NamedValues& values = {});
  // Erases the line drawn on a terminal, if any.
  void clear();

  bool is_terminal() const { return mode_ == Mode::kTerminal; }
  // The line update() would draw now: exposed for tests.
  std::string line(std::int64_t step, const NamedValues& values) const;

 private:
  std::string keras_line(std::int64_t step, const NamedValues& values, double elapsed) const;
  std::string throughput_line(std::int64_t step, double elapsed) const;

  std::ostream& out_;
  std::int64_t steps_;
  Style style_;
  std::string unit_;
  Mode mode_;
  std::int64_t last_step_ = 0;
  bool drawn_ = false;  // a line is on the terminal, not yet ended or erased
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "loss: 0.4321 - accuracy: 0.8456": Keras' formatting of the values.
std::string format_values(const NamedValues& values);

}  // namespace spool::distribute
