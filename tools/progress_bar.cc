#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace spool::cli {

namespace {
constexpr int kBarWidth = 30;
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
}  // namespace

ProgressBar::ProgressBar(std::int64_t total, std::string unit)
    : total_(std::max<std::int64_t>(total, 1)),
      unit_(std::move(unit)),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(std::int64_t done) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (drawn_ && done < total_ && now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  draw(done);
}

void ProgressBar::draw(std::int64_t done) {
  const double fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kBarWidth - filled), '.');
  const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  std::fprintf(stderr, "\r[%s] %lld/%lld %3d%% %.0f %s/s ", bar.c_str(), static_cast<long long>(done),
               static_cast<long long>(total_), static_cast<int>(fraction * 100), rate, unit_.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");  // carriage return, erase to the end of the line
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace spool::cli
