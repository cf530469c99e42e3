#include "spool/distribute/progress_bar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace spool::distribute {
namespace {

ProgressBar::Mode resolve(std::ostream& out, ProgressBar::Mode mode) {
  if (mode != ProgressBar::Mode::kAuto) return mode;
  int fd = -1;
  if (&out == &std::cerr || &out == &std::clog) fd = STDERR_FILENO;
  if (&out == &std::cout) fd = STDOUT_FILENO;
  return fd >= 0 && ::isatty(fd) ? ProgressBar::Mode::kTerminal : ProgressBar::Mode::kPlain;
}

std::string format_seconds(double s) {
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60,
                  static_cast<int>(s) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%d:%02d", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ds", static_cast<int>(std::lround(s)));
  }
  return buf;
}

}  // namespace

std::string format_values(const NamedValues& values) {
  std::string s;
  for (const auto& [name, value] : values) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.4f", value);
    if (!s.empty()) s += " - ";
    s += name + ": " + buf;
  }
  return s;
}

ProgressBar::ProgressBar(std::ostream& out, std::int64_t steps, Mode mode)
    : out_(out), steps_(steps), mode_(resolve(out, mode)), start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::line(std::int64_t step, const NamedValues& values) const {
  std::string s;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (steps_ > 0) {
    const std::string total = std::to_string(steps_);
    std::string count = std::to_string(step);
    s += std::string(total.size() - std::min(total.size(), count.size()), ' ') + count + "/" + total + " [";
    constexpr int kWidth = 30;
    const int done = static_cast<int>(kWidth * std::min<std::int64_t>(step, steps_) / steps_);
    s += std::string(static_cast<std::size_t>(std::max(0, done - (step < steps_ ? 1 : 0))), '=');
    if (step < steps_) s += '>';
    s += std::string(static_cast<std::size_t>(kWidth - done), '.') + "]";
    if (step < steps_ && step > 0) {
      s += " - ETA: " + format_seconds(elapsed / static_cast<double>(step) * static_cast<double>(steps_ - step));
    } else {
      s += " - " + format_seconds(elapsed);
    }
  } else {
    s += std::to_string(step) + " steps - " + format_seconds(elapsed);
  }
  if (!values.empty()) s += " - " + format_values(values);
  return s;
}

void ProgressBar::update(std::int64_t step, const NamedValues& values) {
  last_step_ = step;
  if (mode_ != Mode::kTerminal) return;
  const auto now = std::chrono::steady_clock::now();
  if (step != steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  out_ << '\r' << line(step, values) << "\x1b[K" << std::flush;
}

void ProgressBar::finish(const NamedValues& values) {
  if (mode_ == Mode::kSilent) return;
  const std::int64_t step = steps_ > 0 ? steps_ : last_step_;
  if (mode_ == Mode::kTerminal) out_ << '\r';
  out_ << line(step, values) << (mode_ == Mode::kTerminal ? "\x1b[K\n" : "\n") << std::flush;
}

}  // namespace spool::distribute
