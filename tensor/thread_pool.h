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
// be changed with set_num_threads() between kernels. A thread that holds a
// ThreadKernelPool uses a pool of its own instead (replica threads: each its share of
// the cores, so replicas computing side by side do not queue on one fork-join pool). Data pipeline workers use pools of
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

// The threads parallel_for uses from the calling thread (its ThreadKernelPool's, else
// the process pool's).
int num_threads();
// The process pool's size. Throws InvalidArgument for n < 1. Waits for a running
// parallel_for to finish.
void set_num_threads(int n);

// While alive, parallel_for called from the constructing thread runs on `threads`
// threads of this object's own (the caller included; 1: inline, no thread started).
// Made and destroyed on the same thread; not nested.
class ThreadKernelPool {
 public:
  explicit ThreadKernelPool(int threads);
  ~ThreadKernelPool();
  ThreadKernelPool(const ThreadKernelPool&) = delete;
  ThreadKernelPool& operator=(const ThreadKernelPool&) = delete;

 private:
  struct Impl;
  Impl* impl_;
};

void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn);

// How parallel_for cuts [0, n): the number of chunks it would use (exposed for tests
// and for kernels that keep per-chunk scratch).
std::int64_t parallel_chunks(std::int64_t n, std::int64_t grain);

}  // namespace spool
