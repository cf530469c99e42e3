#include "spool/data/stats.h"

#include <cstdio>
#include <ostream>

namespace spool::data {

std::ostream& operator<<(std::ostream& out, const PipelineStats& stats) {
  char line[160];
  std::snprintf(line, sizeof line, "%-20s %12s %10s %10s %10s %8s\n", "stage", "elements", "self s", "wait s",
                "MB", "skipped");
  out << line;
  for (const StageStats& s : stats.stages) {
    std::snprintf(line, sizeof line, "%-20s %12lld %10.3f %10.3f %10.1f %8lld\n", s.name.c_str(),
                  static_cast<long long>(s.elements), s.self_seconds, s.wait_seconds, s.bytes / 1e6,
                  static_cast<long long>(s.skipped_errors));
    out << line;
  }
  std::snprintf(line, sizeof line, "buffered: %.1f MB now, %.1f MB peak\n", stats.buffered_bytes / 1e6,
                stats.peak_buffered_bytes / 1e6);
  return out << line;
}

}  // namespace spool::data
