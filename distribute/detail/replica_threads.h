// ReplicaThreads: where a MirroredStrategy's replicas run — replica 0 on the thread
// that calls run(), replicas 1..n-1 on threads started once and kept for the
// strategy's life — and the barrier they meet at inside a step.
//
// run(fn) calls fn(r) for every replica r and returns when all have returned; an
// exception in one replica breaks the barrier, so the others, waiting in it for a
// partner that will never come, throw ReplicaAborted instead of hanging; run() then
// throws the first replica's own error, "replica r: ..." (the same type).
// Each replica computes its kernels on a KernelPool of `kernel_threads` threads of its
// own: replicas compute side by side instead of queueing on the process pool.
// Hand-offs (a step's start, the barrier, the end) spin briefly before sleeping: a
// step of a small model is a fraction of a millisecond, and a condition variable's
// wake-up would be a large share of it (bench_training replicas/mlp).
// Thread-safety: run() from one thread at a time; wait() only from inside fn.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "spool/tensor/error.h"
#include "spool/tensor/thread_pool.h"

namespace spool::distribute::detail {

// Thrown in a replica that waits at the barrier after another replica failed.
class ReplicaAborted : public Cancelled {
 public:
  using Cancelled::Cancelled;
};

class ReplicaThreads {
 public:
  ReplicaThreads(int replicas, int kernel_threads);
  ~ReplicaThreads();
  ReplicaThreads(const ReplicaThreads&) = delete;
  ReplicaThreads& operator=(const ReplicaThreads&) = delete;

  int size() const { return replicas_; }
  void run(const std::function<void(int replica)>& fn);
  // The barrier of every replica; throws ReplicaAborted when one failed.
  void wait();

 private:
  void work(int replica);
  void call(int replica);
  void fail(int replica, std::exception_ptr error);

  const int replicas_;
  std::unique_ptr<KernelPool> caller_kernels_;  // replica 0's, used on run()'s thread
  std::vector<std::unique_ptr<KernelPool>> kernels_;  // replica r's (r >= 1)
  std::mutex mu_;                 // the sleeping side of every hand-off
  std::condition_variable wake_;  // a job, the end, the barrier opening or breaking
  std::condition_variable done_;  // every replica finished its job
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> running_{0};
  std::atomic<bool> stopping_{false};
  // The barrier: arrivals this round, the round number, broken after a failure.
  std::atomic<int> arrived_{0};
  std::atomic<std::uint64_t> round_{0};
  std::atomic<bool> broken_{false};
  std::vector<std::exception_ptr> errors_;  // one slot per replica, written by its owner
  std::vector<std::thread> threads_;
};

}  // namespace spool::distribute::detail
