#include "spool/distribute/detail/replica_threads.h"

#include "spool/tensor/thread_pool.h"

namespace spool::distribute::detail {
namespace {

// The same spool error type, its message prefixed; any other exception becomes an
// InternalError with its what().
std::exception_ptr prefixed(const std::exception_ptr& error, const std::string& prefix) {
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    return std::make_exception_ptr(InvalidArgument(prefix + e.what()));
  } catch (const IoError& e) {
    return std::make_exception_ptr(IoError(prefix + e.what()));
  } catch (const DataLossError& e) {
    return std::make_exception_ptr(DataLossError(prefix + e.what()));
  } catch (const OutOfRange& e) {
    return std::make_exception_ptr(OutOfRange(prefix + e.what()));
  } catch (const Unimplemented& e) {
    return std::make_exception_ptr(Unimplemented(prefix + e.what()));
  } catch (const Cancelled& e) {
    return std::make_exception_ptr(Cancelled(prefix + e.what()));
  } catch (const std::exception& e) {
    return std::make_exception_ptr(InternalError(prefix + e.what()));
  } catch (...) {
    return std::make_exception_ptr(InternalError(prefix + "an exception that is not a std::exception"));
  }
}

}  // namespace

ReplicaThreads::ReplicaThreads(int replicas, int kernel_threads)
    : replicas_(replicas), errors_(static_cast<std::size_t>(replicas)) {
  SPOOL_CHECK(replicas >= 1, InvalidArgument, "replicas: need at least 1, got ", replicas);
  for (int r = 0; r < replicas; ++r) threads_.emplace_back([this, r, kernel_threads] { work(r, kernel_threads); });
}

ReplicaThreads::~ReplicaThreads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ReplicaThreads::run(const std::function<void(int)>& fn) {
  std::unique_lock<std::mutex> lock(mu_);
  job_ = &fn;
  running_ = replicas_;
  arrived_ = 0;
  broken_ = false;
  for (auto& e : errors_) e = nullptr;
  ++generation_;
  wake_.notify_all();
  done_.wait(lock, [&] { return running_ == 0; });
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
    std::rethrow_exception(prefixed(e, "replica " + std::to_string(r) + ": "));
  }
  for (const auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

void ReplicaThreads::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  if (broken_) throw ReplicaAborted("another replica failed");
  const std::uint64_t round = round_;
  if (++arrived_ == replicas_) {
    arrived_ = 0;
    ++round_;
    met_.notify_all();
    return;
  }
  met_.wait(lock, [&] { return round_ != round || broken_; });
  if (round_ == round) throw ReplicaAborted("another replica failed");
}

void ReplicaThreads::fail(int replica, std::exception_ptr error) {
  std::lock_guard<std::mutex> lock(mu_);
  errors_[static_cast<std::size_t>(replica)] = std::move(error);
  broken_ = true;
  met_.notify_all();
}

void ReplicaThreads::work(int replica, int kernel_threads) {
  ThreadKernelPool kernels(kernel_threads);
  std::uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      job = job_;
    }
    try {
      (*job)(replica);
    } catch (...) {
      fail(replica, std::current_exception());
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (--running_ == 0) done_.notify_one();
  }
}

}  // namespace spool::distribute::detail
