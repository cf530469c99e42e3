// StalenessGate: the version clock of asynchronous parameter-server training
// (parameter_server.h) and the rule that bounds how stale a gradient may be.
//
// The weights have a version: the number of updates applied to them. A worker reads
// the weights at version v, computes a gradient, and applies it when the version has
// become V; the update's staleness is V - v, the updates other workers applied in
// between (Ho et al.'s stale-synchronous parallel; TensorFlow's asynchronous
// ParameterServerStrategy has no bound). Applies are one at a time, and no read is
// admitted while one runs, so a read's weights are exactly those of its version on
// every server.
//
// Policies:
// - no bound (max_staleness nullopt): every read and apply is admitted at once;
// - bound s: no applied update is staler than s. The gate keeps the readers in flight
//   (read, not yet applied) such that, applying them oldest first, each would land at
//   staleness <= s: for the in-flight read versions sorted ascending v_0 <= v_1 <= ...,
//   V + j - v_j <= s for every j. A read (at v = V, the newest) is admitted when the
//   rule still holds with it — so at most s + 1 readers are in flight — and an apply
//   when it holds after the update. The oldest reader can always apply, so the
//   gate never deadlocks; a worker that runs ahead waits for the slow one (s = 0 is
//   one worker at a time: sequential SGD).
//
// The gate decides; its owner waits (a condition variable in one process, queued
// requests on the coordinator rank under MPI: parameter_server.cc).
// Thread-safety: none; the owner serialises calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spool::distribute {

// How often each staleness occurred: count(s) updates were applied s versions late.
class StalenessHistogram {
 public:
  void add(std::int64_t staleness, std::int64_t times = 1);
  void merge(const StalenessHistogram& other);
  std::int64_t count(std::int64_t staleness) const;
  std::int64_t total() const { return total_; }
  // The largest staleness seen; -1 when empty.
  std::int64_t max() const { return static_cast<std::int64_t>(counts_.size()) - 1; }
  double mean() const;
  // counts[s] for s = 0..max().
  const std::vector<std::int64_t>& counts() const { return counts_; }
  // "0:812 1:790 2:14", for logs.
  std::string describe() const;

 private:
  std::vector<std::int64_t> counts_;
  std::int64_t total_ = 0;
};

class StalenessGate {
 public:
  // workers >= 1; max_staleness >= 0 or nullopt (InvalidArgument otherwise).
  StalenessGate(int workers, std::optional<int> max_staleness);

  std::int64_t version() const { return version_; }
  std::optional<int> max_staleness() const { return bound_; }

  // A worker may hold one read at a time; reading again replaces its earlier read.
  bool can_read(int worker) const;
  // Admits the read (can_read must hold: InternalError otherwise); returns the version.
  std::int64_t begin_read(int worker);
  bool can_apply(int worker) const;
  // Admits the worker's apply of a gradient computed on its read; returns its staleness.
  // Until end_apply, nothing else is admitted.
  std::int64_t begin_apply(int worker);
  void end_apply();
  // Forgets the worker's read (a worker that failed): it holds nobody back any more.
  void withdraw(int worker);
  // Starts again at `version` with nobody in flight (weights restored from a checkpoint).
  void restart(std::int64_t version);
  bool applying() const { return applying_; }
  // Readers in flight.
  int in_flight() const { return static_cast<int>(reads_.size()); }

 private:
  // True when the readers in `reads` can still all apply within the bound at `version`.
  bool feasible(const std::map<int, std::int64_t>& reads, std::int64_t version) const;
  void check_worker(int worker) const;

  int workers_;
  std::optional<int> bound_;
  std::int64_t version_ = 0;
  bool applying_ = false;
  std::map<int, std::int64_t> reads_;  // worker -> version read
};

}  // namespace spool::distribute
