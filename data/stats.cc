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
  out << line;
  const std::string note = stats.memory_note();
  if (!note.empty()) out << note << "\n";
  return out;
}

std::string PipelineStats::memory_note() const {
  const auto per_element = [](const StageStats& s) { return static_cast<double>(s.bytes) / static_cast<double>(s.elements); };
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const StageStats& shuffle = stages[i];
    if (shuffle.name != "shuffle" || shuffle.elements == 0) continue;
    // The narrowest earlier stage of the same stream: as many elements (or more: the
    // shuffle still buffers some), no batch in between.
    const StageStats* narrowest = nullptr;
    for (std::size_t j = i; j-- > 0;) {
      const StageStats& s = stages[j];
      if (s.name.find("batch") != std::string::npos) break;
      if (s.elements < shuffle.elements || s.bytes == 0) continue;
      if (!narrowest || per_element(s) < per_element(*narrowest)) narrowest = &s;
    }
    if (!narrowest) continue;
    const double ratio = per_element(shuffle) / per_element(*narrowest);
    if (ratio < 2) continue;
    char note[320];
    std::snprintf(note, sizeof note,
                  "note: the shuffle buffers elements %.1fx the size of %s's (%.0f against %.0f bytes): a shuffle "
                  "before the map that widens them holds %.1fx fewer bytes",
                  ratio, narrowest->name.c_str(), per_element(shuffle), per_element(*narrowest), ratio);
    return note;
  }
  return "";
}

}  // namespace spool::data
