#include "spool/distribute/detail/replica_threads.h"

#include "spool/tensor/spin_wait.h"
#include "spool/tensor/thread_pool.h"

namespace spool::distribute::detail {
ReplicaThreads::ReplicaThreads(int replicas, int kernel_threads)
    : replicas_(replicas),
      caller_kernels_(std::make_unique<KernelPool>(kernel_threads)),
      errors_(static_cast<std::size_t>(replicas)) {
  SPOOL_CHECK(replicas >= 1, InvalidArgument, "replicas: need at least 1, got ", replicas);
  for (int r = 1; r < replicas; ++r) kernels_.push_back(std::make_unique<KernelPool>(kernel_threads));
  for (int r = 1; r < replicas; ++r) threads_.emplace_back([this, r] { work(r); });
}

ReplicaThreads::~ReplicaThreads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ReplicaThreads::call(int replica) {
  try {
    (*job_)(replica);
  } catch (...) {
    fail(replica, std::current_exception());
  }
}

void ReplicaThreads::run(const std::function<void(int)>& fn) {
  job_ = &fn;
  arrived_.store(0);
  broken_.store(false);
  for (auto& e : errors_) e = nullptr;
  running_.store(replicas_ - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);  // a worker checks generation_ under it before sleeping
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  {
    UseKernelPool use(*caller_kernels_);
    call(0);
  }
  auto finished = [&] { return running_.load(std::memory_order_acquire) == 0; };
  if (!spool::detail::spin_until(finished)) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, finished);
  }
  job_ = nullptr;
  // The first replica's own error; ReplicaAborted only says a partner failed.
  for (int r = 0; r < replicas_; ++r) {
    const std::exception_ptr& e = errors_[static_cast<std::size_t>(r)];
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const ReplicaAborted&) {
      continue;
    } catch (...) {
    }
    std::rethrow_exception(with_prefix(e, "replica " + std::to_string(r) + ": "));
  }
  for (const auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

void ReplicaThreads::wait() {
  if (broken_.load(std::memory_order_acquire)) throw ReplicaAborted("another replica failed");
  const std::uint64_t round = round_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == replicas_) {
    arrived_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      round_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    return;
  }
  auto opened = [&] {
    return round_.load(std::memory_order_acquire) != round || broken_.load(std::memory_order_acquire);
  };
  if (!spool::detail::spin_until(opened)) {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, opened);
  }
  if (round_.load(std::memory_order_acquire) == round) throw ReplicaAborted("another replica failed");
}

void ReplicaThreads::fail(int replica, std::exception_ptr error) {
  errors_[static_cast<std::size_t>(replica)] = std::move(error);
  {
    std::lock_guard<std::mutex> lock(mu_);
    broken_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
}

void ReplicaThreads::work(int replica) {
  UseKernelPool use(*kernels_[static_cast<std::size_t>(replica - 1)]);
  std::uint64_t seen = 0;
  for (;;) {
    auto has_news = [&] {
      return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spool::detail::spin_until(has_news)) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, has_news);
    }
    if (stopping_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    call(replica);
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);  // so run() cannot miss the wake-up
      done_.notify_one();
    }
  }
}

}  // namespace spool::distribute::detail
