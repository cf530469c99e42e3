// The live counters behind StageStats, one set per dataset stage of a pipeline, and
// the registry that hands them out and takes snapshots in data-flow order.
//
// Single-writer counters (a synchronous stage, driven by one consumer thread) use
// add(); counters that several threads update use add_shared().
// Thread-safety: counters are atomics; the registry is guarded by its mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "spool/data/stats.h"

namespace spool::data::detail {

class DatasetNode;
class RewritePlan;

struct StageCounters {
  std::string name;
  std::int64_t created = 0;  // registration order, for stages the graph walk cannot reach
  // Pooled counters (stages built while iterating) may be written by iterators on
  // several threads at once (parallel interleave), so every update is a fetch_add.
  bool shared_writers = false;
  std::atomic<std::int64_t> elements{0};
  std::atomic<std::int64_t> self_ns{0};             // single writer: the consumer thread
  std::atomic<std::int64_t> background_self_ns{0};  // any thread, add_shared only
  std::atomic<std::int64_t> wait_ns{0};
  std::atomic<std::int64_t> bytes{0};
  std::atomic<std::int64_t> skipped_errors{0};

  // One writer: a load and a store, no locked instruction on the per-element path.
  static void add(std::atomic<std::int64_t>& counter, std::int64_t v) {
    counter.store(counter.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }
  static void add_shared(std::atomic<std::int64_t>& counter, std::int64_t v) {
    counter.fetch_add(v, std::memory_order_relaxed);
  }
  void bump(std::atomic<std::int64_t>& counter, std::int64_t v) const {
    shared_writers ? add_shared(counter, v) : add(counter, v);
  }
};

// Stages reachable from the root (which the Iterator keeps alive) are keyed by
// address. Stages built while iterating (the datasets interleave opens, one per input
// element) are pooled by name, so a thousand files read through interleave show as
// one "tfrecord" row rather than a thousand, and a freed stage's address reused by a
// new one cannot mix them up.
class StatsRegistry {
 public:
  // The stages of the graph that runs (the rewritten one).
  explicit StatsRegistry(const RewritePlan& plan);
  // The counters of `node` in this pipeline; every iterator of that node shares them.
  std::shared_ptr<StageCounters> counters_for(const DatasetNode& node);
  // Stages built at run time first (inputs before their readers), then the root's
  // graph from its sources down to the root.
  std::vector<StageStats> snapshot() const;

 private:
  std::vector<const DatasetNode*> graph_;  // the root's stages, inputs before readers
  mutable std::mutex mu_;
  std::unordered_map<const DatasetNode*, std::shared_ptr<StageCounters>> counters_;  // guarded by mu_
  std::unordered_map<std::string, std::shared_ptr<StageCounters>> pooled_;           // guarded by mu_
  std::int64_t created_ = 0;                                                          // guarded by mu_
};

}  // namespace spool::data::detail
