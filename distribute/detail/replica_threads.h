// ReplicaThreads: the threads of a MirroredStrategy's replicas, started once and kept
// for the strategy's life, and the barrier they meet at inside a step.
//
// run(fn) calls fn(r) on replica r's thread for every r and returns when all have
// returned; an exception in one replica breaks the barrier, so the others, waiting
// in it for a partner that will never come, throw ReplicaAborted instead of hanging;
// run() then throws the first replica's own error, "replica r: ..." (the same type).
// Each thread holds a ThreadKernelPool of `kernel_threads` threads: replicas compute
// side by side instead of queueing on the process pool.
// Thread-safety: run() from one thread at a time; wait() only from inside fn.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "spool/tensor/error.h"

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
  void work(int replica, int kernel_threads);
  void fail(int replica, std::exception_ptr error);

  const int replicas_;
  std::mutex mu_;
  std::condition_variable wake_;  // a job, or the end
  std::condition_variable done_;  // a replica finished its job
  std::condition_variable met_;   // the barrier opened, or broke
  const std::function<void(int)>* job_ = nullptr;
  std::uint64_t generation_ = 0;
  int running_ = 0;
  bool stopping_ = false;
  // The barrier: arrivals this round, the round number, broken after a failure.
  int arrived_ = 0;
  std::uint64_t round_ = 0;
  bool broken_ = false;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> threads_;
};

}  // namespace spool::distribute::detail
