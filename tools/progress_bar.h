// ProgressBar: "[#######.......]  412/1027  40%  388 img/s" redrawn on stderr when
// stderr is a terminal, at most ten times a second; nothing at all otherwise, so
// scripts and logs see only the command's summary line.
//
//   ProgressBar bar(total, "images");
//   for (...) bar.update(done);
//   bar.finish();   // clears the line
//
// Thread-safety: one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace spool::cli {

class ProgressBar {
 public:
  ProgressBar(std::int64_t total, std::string unit);
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(std::int64_t done);
  // Erases the bar (when one was drawn); idempotent.
  void finish();
  bool enabled() const { return enabled_; }

 private:
  using Clock = std::chrono::steady_clock;
  void draw(std::int64_t done);

  std::int64_t total_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace spool::cli
