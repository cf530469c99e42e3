#include "spool/distribute/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace spool::distribute {
namespace {

constexpr int kWidth = 30;
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);

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
    : ProgressBar(out, steps, Options().mode(mode)) {}

ProgressBar::ProgressBar(std::ostream& out, std::int64_t steps, Options options)
    : out_(out),
      steps_(steps),
      style_(options.style()),
      unit_(options.unit()),
      mode_(resolve(out, options.mode())),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (style_ == Style::kThroughput) clear();
}

std::string ProgressBar::line(std::int64_t step, const NamedValues& values) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return style_ == Style::kKeras ? keras_line(step, values, elapsed) : throughput_line(step, elapsed);
}

std::string ProgressBar::keras_line(std::int64_t step, const NamedValues& values, double elapsed) const {
  std::string s;
  if (steps_ > 0) {
    const std::string total = std::to_string(steps_);
    std::string count = std::to_string(step);
    s += std::string(total.size() - std::min(total.size(), count.size()), ' ') + count + "/" + total + " [";
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

// "[#######.......] 412/1027  40% 388 images/s " (the trailing space pads a shrinking rate).
std::string ProgressBar::throughput_line(std::int64_t step, double elapsed) const {
  const std::int64_t total = std::max<std::int64_t>(steps_, 1);
  const double fraction = std::clamp(static_cast<double>(step) / static_cast<double>(total), 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  const double rate = elapsed > 0 ? static_cast<double>(step) / elapsed : 0.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%s] %lld/%lld %3d%% %.0f ", bar.c_str(), static_cast<long long>(step),
                static_cast<long long>(total), static_cast<int>(fraction * 100), rate);
  return buf + unit_ + "/s ";
}

void ProgressBar::update(std::int64_t step, const NamedValues& values) {
  last_step_ = step;
  if (mode_ != Mode::kTerminal) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && step != steps_ && now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  out_ << '\r' << line(step, values);
  if (style_ == Style::kKeras) out_ << "\x1b[K";
  out_ << std::flush;
  drawn_ = true;
}

void ProgressBar::finish(const NamedValues& values) {
  if (style_ == Style::kThroughput) {
    clear();
    return;
  }
  if (mode_ == Mode::kSilent) return;
  const std::int64_t step = steps_ > 0 ? steps_ : last_step_;
  if (mode_ == Mode::kTerminal) out_ << '\r';
  out_ << line(step, values) << (mode_ == Mode::kTerminal ? "\x1b[K\n" : "\n") << std::flush;
  drawn_ = false;
}

void ProgressBar::clear() {
  if (!drawn_) return;
  out_ << "\r\x1b[K" << std::flush;  // carriage return, erase to the end of the line
  drawn_ = false;
}

}  // namespace spool::distribute
