#include "spool/tensor/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spool/tensor/error.h"
#include "spool/tensor/spin_wait.h"

namespace spool {

namespace {

thread_local bool t_inside_parallel_for = false;

int default_threads() {
  if (const char* env = std::getenv("SPOOL_NUM_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    SPOOL_CHECK(end != env && *end == '\0' && v >= 1 && v <= 1024, InvalidArgument,
                "SPOOL_NUM_THREADS='", env, "' is not a thread count in [1, 1024]");
    return static_cast<int>(v);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// Workers wait on a generation counter; each job names its chunks, and a worker takes
// the chunk equal to its own number so the assignment never depends on timing.
// Waiting first spins briefly, then sleeps on a condition variable: a kernel call on
// the MLP shapes is short, and a condvar wake-up would be a large share of it
// (bench_training train_step/mlp).
class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  int threads() const { return threads_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> call(call_mu_);
    stop();
    start(threads);
  }

  void run(std::int64_t n, std::int64_t chunks, const std::function<void(std::int64_t, std::int64_t)>& fn) {
    std::lock_guard<std::mutex> call(call_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      n_ = n;
      chunks_ = chunks;
      errors_.assign(static_cast<std::size_t>(chunks), nullptr);
      pending_.store(chunks - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    run_chunk(0);
    if (!detail::spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lock(mu_);
      done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    fn_ = nullptr;
    for (auto& e : errors_)
      if (e) std::rethrow_exception(e);
  }

 private:
  void start(int threads) {
    threads_ = threads;
    stopping_.store(false);
    // New workers must not mistake the last finished job for a new one.
    const std::uint64_t current = generation_.load();
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, current] { work(i, current); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_.store(true);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void run_chunk(std::int64_t c) {
    const std::int64_t begin = n_ * c / chunks_;
    const std::int64_t end = n_ * (c + 1) / chunks_;
    t_inside_parallel_for = true;
    try {
      (*fn_)(begin, end);
    } catch (...) {
      errors_[static_cast<std::size_t>(c)] = std::current_exception();
    }
    t_inside_parallel_for = false;
  }

  void work(int id, std::uint64_t seen) {
    for (;;) {
      auto has_news = [&] { return stopping_.load(std::memory_order_acquire) ||
                                   generation_.load(std::memory_order_acquire) != seen; };
      if (!detail::spin_until(has_news)) {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, has_news);
      }
      std::int64_t chunks;
      {
        // A consistent snapshot of (generation, job): run() changes both under mu_.
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_.load(std::memory_order_acquire)) return;
        seen = generation_.load(std::memory_order_acquire);
        chunks = chunks_;
      }
      if (id >= chunks) continue;
      run_chunk(id);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);  // so the caller cannot miss the wake-up
        done_.notify_one();
      }
    }
  }

  std::mutex call_mu_;  // one parallel_for (or resize) at a time
  std::mutex mu_;       // guards the sleeping side of the hand-offs below
  std::condition_variable wake_;
  std::condition_variable done_;
  // The job: written by run() under mu_ together with generation_; a worker snapshots
  // it under mu_, and the chunk owners read it while run() waits for them.
  const std::function<void(std::int64_t, std::int64_t)>* fn_ = nullptr;
  std::int64_t n_ = 0;
  std::int64_t chunks_ = 0;
  std::vector<std::exception_ptr> errors_;  // one slot per chunk, each written by its owner
  std::atomic<std::int64_t> pending_{0};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
  int threads_ = 1;
};

Pool& process_pool() {
  static Pool p(default_threads());
  return p;
}

thread_local Pool* t_own_pool = nullptr;  // a UseKernelPool's

Pool& pool() { return t_own_pool ? *t_own_pool : process_pool(); }

}  // namespace

struct KernelPool::Impl {
  explicit Impl(int threads) : pool(threads) {}
  Pool pool;
};

KernelPool::KernelPool(int threads) {
  SPOOL_CHECK(threads >= 1 && threads <= 1024, InvalidArgument, "KernelPool(", threads, "): need a count in [1, 1024]");
  impl_ = new Impl(threads);
}

KernelPool::~KernelPool() { delete impl_; }

int KernelPool::threads() const { return impl_->pool.threads(); }

UseKernelPool::UseKernelPool(KernelPool& pool) : previous_(t_own_pool) { t_own_pool = &pool.impl_->pool; }

UseKernelPool::~UseKernelPool() { t_own_pool = static_cast<Pool*>(previous_); }

int num_threads() { return pool().threads(); }

namespace {
thread_local Granularity t_granularity = Granularity::kCoarse;
}  // namespace

Granularity parallel_granularity() { return t_granularity; }

UseGranularity::UseGranularity(Granularity g) : previous_(t_granularity) { t_granularity = g; }

UseGranularity::~UseGranularity() { t_granularity = previous_; }

void set_num_threads(int n) {
  SPOOL_CHECK(n >= 1 && n <= 1024, InvalidArgument, "set_num_threads(", n, "): need a count in [1, 1024]");
  if (n != process_pool().threads()) process_pool().resize(n);
}

std::int64_t parallel_chunks(std::int64_t n, std::int64_t grain) {
  if (n <= 0) return 0;
  grain = std::max<std::int64_t>(grain, 1);
  return std::clamp<std::int64_t>(n / grain, 1, pool().threads());
}

void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0) return;
  const std::int64_t chunks = parallel_chunks(n, grain);
  if (chunks <= 1 || t_inside_parallel_for) {
    fn(0, n);
    return;
  }
  pool().run(n, chunks, fn);
}

}  // namespace spool
