// What each stage of a running pipeline did: elements, time inside the stage, time
// waiting on its input, bytes, skipped errors; and the peak bytes held in buffers.
//
//   auto it = ds.make_iterator();
//   while (auto e = it.next()) train(*e);
//   for (const StageStats& s : it.stats().stages) std::cout << s.name << " " << s.self_seconds << "\n";
//
// Times: `self_seconds` is time spent doing the stage's own work, summed over the
// threads that did it; `wait_seconds` is time the stage's consumer side spent
// blocked on its input (for a synchronous stage, the time inside its input's
// next()). A stage with large wait and small self is starved by its input.
// Thread-safety: plain values, snapshots of counters that keep running.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace spool::data {

struct StageStats {
  std::string name;               // the stage kind ("map", "batch", "tfrecord", ...)
  std::int64_t elements = 0;      // elements the stage produced
  double self_seconds = 0;
  double wait_seconds = 0;
  std::int64_t bytes = 0;         // bytes of the elements it produced
  std::int64_t skipped_errors = 0;  // errors dropped (ignore_errors, skipped corrupt records)
};

struct PipelineStats {
  std::vector<StageStats> stages;  // sources first, in the order data flows
  std::int64_t buffered_bytes = 0;  // held by buffers now
  std::int64_t peak_buffered_bytes = 0;

  // What the buffers hold that a reordered pipeline would not, or "": a shuffle whose
  // elements are at least twice the size of those of a stage before it with as many
  // elements and no batch between (a map widened them, as normalising u8 images to f32
  // does fourfold), saying that shuffling before that map buffers fewer bytes.
  std::string memory_note() const;
};

// A fixed-width table: stage, elements, self s, wait s, MB, skipped; then the buffered
// bytes and the memory note, if any.
std::ostream& operator<<(std::ostream& out, const PipelineStats& stats);

}  // namespace spool::data
