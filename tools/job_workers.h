// JobWorkers: the processes of one `spool convert` or `spool bench` started by
// `mpirun -np K`, and the few agreements they need so that one worker's error ends the
// whole job cleanly instead of leaving the others waiting in a collective.
//
//   JobWorkers workers = JobWorkers::of_launcher();      // one worker unless mpirun started K > 1
//   std::exception_ptr error;
//   try { convert_my_share(); } catch (...) { error = std::current_exception(); }
//   workers.agree(error, [&] { out.discard_files(); }, [&] { out.discard(); });
//   // here no worker failed; otherwise every worker has undone its part and thrown
//
// Worker 0 prints the job's results; the others stay quiet. A failed worker throws its
// own error with its name in front ("worker 1 of 2: ..."), the workers that did not
// fail throw QuietExit (exit 1, nothing printed), so the job's log names the cause once
// per failed worker and mpirun exits 1.
// Every call is a collective: each worker makes the same calls in the same order.
// Thread-safety: one thread at a time (WorkerGroup's rule).
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/distribute/worker_group.h"

namespace spool::cli {

class JobWorkers {
 public:
  // The job's workers when an MPI launcher started this process with more than one,
  // else a single worker (whose agreements only rethrow).
  static JobWorkers of_launcher();
  explicit JobWorkers(std::shared_ptr<distribute::WorkerGroup> group);

  int rank() const { return group_->rank(); }
  int size() const { return group_->size(); }
  bool first() const { return rank() == 0; }
  std::string describe() const { return group_->describe(); }

  // Runs `step` on worker 0 only (checking and creating an output folder); an error
  // there is rethrown on worker 0 and ends the others with QuietExit of the same exit
  // code (2 for bad usage, else 1).
  void on_first(const std::function<void()>& step);

  // Every worker passes its error, or nullptr. Returns when no worker failed. Otherwise
  // every worker runs `undo`, all wait for each other, worker 0 runs `undo_first`
  // (removing what only it may remove once the others are done), all wait again, and
  // each throws: the failed ones their error named, the others QuietExit.
  void agree(std::exception_ptr error, const std::function<void()>& undo,
             const std::function<void()>& undo_first = [] {});

  // Element-wise over the workers, on every worker. Sums go through doubles: exact
  // below 2^53.
  void sum(std::span<std::int64_t> values);
  void max(std::span<std::int64_t> values);
  double max(double value);
  // Every worker's `mine`, in rank order, on every worker (one broadcast per worker).
  std::vector<std::string> all_gather(const std::string& mine);

 private:
  std::shared_ptr<distribute::WorkerGroup> group_;
};

}  // namespace spool::cli
