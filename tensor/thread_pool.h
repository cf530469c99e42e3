// The process-wide pool that kernels split their work over, by row ranges.
//
//   parallel_for(rows, /*grain=*/64, [&](std::int64_t begin, std::int64_t end) {
//     for (std::int64_t r = begin; r < end; ++r) kernel_row(r);
//   });
//
// The range is cut into at most num_threads() contiguous chunks of at least `grain`
// items, the same cut for the same (n, grain, threads), so results that depend on the
// split are bitwise reproducible for a given thread count. A problem smaller than two
// grains runs on the calling thread; so does a parallel_for called from inside another
// (no nested fan-out, no deadlock). The calling thread works on the first chunk.
//
// The number of threads comes from SPOOL_NUM_THREADS, else the machine's cores, and can
// be changed with set_num_threads() between kernels. A thread under a UseKernelPool
// uses that KernelPool instead (replica threads: each its share of the cores, so
// replicas computing side by side do not queue on one fork-join pool). Data pipeline workers use pools of
// their own (see data/); this one is only for compute kernels.
//
// Why not Boost.Asio's thread_pool: a kernel call needs fork-join with the caller
// working too and microsecond wake-ups; Asio's post/join has neither.
//
// Thread-safety: parallel_for may be called from any thread; calls from different
// threads are serialised. An exception thrown by `fn` in any chunk is rethrown on the
// caller after every chunk has finished.
#pragma once

#include <cstdint>
#include <functional>

namespace spool {

// The threads parallel_for uses from the calling thread (its KernelPool's, else the
// process pool's).
int num_threads();
// The process pool's size. Throws InvalidArgument for n < 1. Waits for a running
// parallel_for to finish.
void set_num_threads(int n);

// A fork-join pool of `threads` threads (the caller included; 1: inline, no thread
// started) that a thread can use instead of the process pool: while a UseKernelPool
// guard lives on a thread, parallel_for called from that thread runs on this pool.
// Replica threads each use one of their own, so replicas computing side by side do
// not queue on one pool.
class KernelPool {
 public:
  explicit KernelPool(int threads);
  ~KernelPool();
  KernelPool(const KernelPool&) = delete;
  KernelPool& operator=(const KernelPool&) = delete;
  int threads() const;

 private:
  friend class UseKernelPool;
  struct Impl;
  Impl* impl_;
};

// Installs `pool` for the constructing thread until destroyed (the previous one, or
// the process pool, comes back). Made and destroyed on the same thread.
class UseKernelPool {
 public:
  explicit UseKernelPool(KernelPool& pool);
  ~UseKernelPool();
  UseKernelPool(const UseKernelPool&) = delete;
  UseKernelPool& operator=(const UseKernelPool&) = delete;

 private:
  void* previous_;
};

void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn);

// How finely the kernels that choose their own cut (the GEMM driver, the optimizers'
// updates) split work that takes tens of microseconds. kCoarse, the default, keeps it
// on the calling thread; kFine splits it too. Which wins depends on how fast this
// machine hands a second core over: on a quiet machine kFine speeds the MLP step's
// products and update up; where the hypervisor or a neighbour delays the wake-up, it
// makes them slower than one thread (bench_training train_step/mlp/threads:2;
// docs/experiments.md). Eager code cannot tell which case it is in, so it stays
// coarse; graph mode measures both on its replays and keeps the faster
// (autodiff/graph/detail/granularity_tuner.h). The cut never changes a result.
enum class Granularity { kCoarse, kFine };
// This thread's granularity.
Granularity parallel_granularity();
// Sets the granularity for the constructing thread until destroyed.
class UseGranularity {
 public:
  explicit UseGranularity(Granularity g);
  ~UseGranularity();
  UseGranularity(const UseGranularity&) = delete;
  UseGranularity& operator=(const UseGranularity&) = delete;

 private:
  Granularity previous_;
};

// How parallel_for cuts [0, n): the number of chunks it would use (exposed for tests
// and for kernels that keep per-chunk scratch).
std::int64_t parallel_chunks(std::int64_t n, std::int64_t grain);

}  // namespace spool
