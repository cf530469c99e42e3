// The in-process ClusterCoordinator: worker threads, and servers as shards in memory
// behind one staleness gate (a mutex and a condition variable around
// staleness_gate.h's rule). The shards' updates run on the pushing worker's thread,
// outside the lock: the gate admits one apply at a time and no read meanwhile.
#include <deque>
#include <thread>

#include "spool/distribute/detail/coordinator_backend.h"
#include "spool/tensor/error.h"
#include "spool/tensor/thread_pool.h"

namespace spool::distribute::detail {
namespace {

class LocalBackend final : public CoordinatorBackend {
 public:
  LocalBackend(const ParameterServerStrategy& strategy, const ClusterCoordinator::ModelFactory& make_model,
               const ClusterCoordinator::OptimizerFactory& make_optimizer)
      : CoordinatorBackend(strategy, make_model, make_optimizer),
        workers_(strategy.num_workers()),
        gate_(workers_, strategy.options().max_staleness()),
        completed_(static_cast<std::size_t>(workers_), 0),
        alive_(workers_) {
    std::vector<float> initial(static_cast<std::size_t>(layout_.size));
    layout_.pack_values(initial);
    const int servers = strategy.num_servers();
    for (int s = 0; s < servers; ++s) {
      const auto begin = static_cast<std::size_t>(layout_.shard_begin(s, servers));
      const auto end = static_cast<std::size_t>(layout_.shard_end(s, servers));
      shards_.push_back(std::make_unique<ParameterShard>(
          s, std::span<const float>(initial).subspan(begin, end - begin), make_optimizer_,
          strategy.options().scale_learning_rate()));
    }
    const int kernel_threads = std::max(1, num_threads() / workers_);
    for (int w = 0; w < workers_; ++w) {
      models_.push_back(make_model_());
      SPOOL_CHECK(FlatLayout::of(models_.back()->variables()).size == layout_.size, InvalidArgument,
                  "ClusterCoordinator: the model factory gave models of different sizes");
    }
    for (int w = 0; w < workers_; ++w) threads_.emplace_back([this, w, kernel_threads] { work(w, kernel_threads); });
  }

  // Closures not started yet are cancelled (their RemoteValues say so); running ones end.
  ~LocalBackend() override {
    std::deque<Closure> cancelled;
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      std::swap(cancelled, queue_);
    }
    work_cv_.notify_all();
    for (Closure& c : cancelled) {
      c.result->finish(Tensor(), std::make_exception_ptr(Cancelled("ClusterCoordinator: destroyed before the closure ran")));
    }
    for (std::thread& t : threads_) t.join();
  }

  RemoteValue schedule(WorkerFn fn, const PerWorkerDataset& dataset) override {
    auto result = std::make_shared<RemoteState>();
    {
      const std::lock_guard lock(mutex_);
      SPOOL_CHECK(alive_ > 0, Unavailable, "ClusterCoordinator: every worker is unavailable");
      queue_.push_back(Closure{next_id_++, std::move(fn), iterators(dataset), result});
      ++pending_;
    }
    work_cv_.notify_one();
    return remote(result);
  }

  void join() override {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [&] { return pending_ == 0; });
    std::exception_ptr first;
    std::swap(first, first_error_);
    lock.unlock();
    sync_model();
    if (first) std::rethrow_exception(first);
  }

  void load_servers() override {
    std::unique_lock lock(mutex_);
    SPOOL_CHECK(pending_ == 0, InvalidArgument, "ClusterCoordinator::load_servers: closures are still scheduled; join() first");
    std::vector<float> weights(static_cast<std::size_t>(layout_.size));
    layout_.pack_values(weights);
    const std::vector<NamedTensor> state = optimizer_->state();
    const int servers = static_cast<int>(shards_.size());
    for (auto& shard : shards_) {
      const auto begin = static_cast<std::size_t>(layout_.shard_begin(shard->index(), servers));
      shard->set_weights(std::span<const float>(weights).subspan(begin, static_cast<std::size_t>(shard->size())));
      shard->optimizer().load_state(split_optimizer_state(layout_, state, shard->index(), servers));
      shard->set_version(optimizer_->iterations());
    }
    gate_.restart(optimizer_->iterations());
  }

  std::int64_t version() const override {
    const std::lock_guard lock(mutex_);
    return gate_.version();
  }
  StalenessHistogram staleness() const override {
    const std::lock_guard lock(mutex_);
    return shards_[0]->histogram();
  }
  std::vector<std::int64_t> completed_per_worker() const override {
    const std::lock_guard lock(mutex_);
    return completed_;
  }

 private:
  void sync_model() {
    std::vector<float> weights(static_cast<std::size_t>(layout_.size));
    std::vector<std::vector<NamedTensor>> states;
    const std::lock_guard lock(mutex_);
    for (const auto& shard : shards_) {
      const std::span<const float> w = shard->weights();
      std::copy(w.begin(), w.end(), weights.begin() + layout_.shard_begin(shard->index(), static_cast<int>(shards_.size())));
      states.push_back(shard->optimizer().state());
    }
    take_from_servers(weights, states);
  }

  // The weights of an admitted read, into `out`.
  std::int64_t read(int worker, std::span<float> out) {
    std::unique_lock lock(mutex_);
    gate_cv_.wait(lock, [&] { return gate_.can_read(worker); });
    const std::int64_t version = gate_.begin_read(worker);
    const int servers = static_cast<int>(shards_.size());
    for (const auto& shard : shards_) {
      const std::span<const float> w = shard->weights();
      std::copy(w.begin(), w.end(), out.begin() + layout_.shard_begin(shard->index(), servers));
    }
    return version;
  }

  std::int64_t apply(int worker, std::span<const float> gradient, std::int64_t read_version) {
    std::int64_t staleness = 0;
    {
      std::unique_lock lock(mutex_);
      gate_cv_.wait(lock, [&] { return gate_.can_apply(worker); });
      staleness = gate_.begin_apply(worker);
    }
    const int servers = static_cast<int>(shards_.size());
    try {
      for (const auto& shard : shards_) {
        const auto begin = static_cast<std::size_t>(layout_.shard_begin(shard->index(), servers));
        shard->apply(gradient.subspan(begin, static_cast<std::size_t>(shard->size())), read_version);
      }
    } catch (...) {
      // A shard that refused the gradient (a bug): the gate must not stay shut.
      const std::lock_guard lock(mutex_);
      gate_.end_apply();
      gate_cv_.notify_all();
      throw;
    }
    {
      const std::lock_guard lock(mutex_);
      gate_.end_apply();
    }
    gate_cv_.notify_all();
    return staleness;
  }

  void withdraw(int worker) {
    {
      const std::lock_guard lock(mutex_);
      gate_.withdraw(worker);
    }
    gate_cv_.notify_all();
  }

  void work(int worker, int kernel_threads) {
    KernelPool pool(kernel_threads);
    const UseKernelPool use(pool);
    layers::Model& model = *models_[static_cast<std::size_t>(worker)];
    const FlatLayout layout = FlatLayout::of(model.variables());
    std::vector<float> weights(static_cast<std::size_t>(layout.size)), gradient(weights.size());
    const ServerAccess servers{
        .read = [&](std::span<float> out) { return read(worker, out); },
        .apply = [&](std::span<const float> g, std::int64_t version) { return apply(worker, g, version); },
        .withdraw = [&] { withdraw(worker); },
    };
    for (;;) {
      Closure closure;
      {
        std::unique_lock lock(mutex_);
        work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        closure = std::move(queue_.front());
        queue_.pop_front();
      }
      Tensor value;
      std::exception_ptr error;
      try {
        value = run_closure(closure, worker, model, layout, weights, gradient, servers);
      } catch (const Unavailable&) {
        give_back(std::move(closure));
        return;  // this worker takes no more work
      } catch (...) {
        error = std::current_exception();
      }
      closure.result->finish(std::move(value), error);
      const std::lock_guard lock(mutex_);
      ++completed_[static_cast<std::size_t>(worker)];
      if (error && !first_error_) first_error_ = error;
      if (--pending_ == 0) idle_cv_.notify_all();
    }
  }

  // A closure whose worker went away runs on another one (TensorFlow's coordinator
  // does the same); with no worker left, it and everything queued fail.
  void give_back(Closure closure) {
    std::deque<Closure> failed;
    {
      const std::lock_guard lock(mutex_);
      --alive_;
      queue_.push_front(std::move(closure));
      if (alive_ == 0) std::swap(failed, queue_);
    }
    work_cv_.notify_all();
    for (Closure& c : failed) {
      const auto error = std::make_exception_ptr(Unavailable("ClusterCoordinator: every worker is unavailable"));
      c.result->finish(Tensor(), error);
      const std::lock_guard lock(mutex_);
      if (!first_error_) first_error_ = error;
      if (--pending_ == 0) idle_cv_.notify_all();
    }
  }

  const int workers_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_, idle_cv_, gate_cv_;
  StalenessGate gate_;
  std::vector<std::unique_ptr<ParameterShard>> shards_;
  std::vector<std::unique_ptr<layers::Model>> models_;
  std::deque<Closure> queue_;
  std::int64_t pending_ = 0;  // scheduled, not finished
  std::int64_t next_id_ = 0;
  std::vector<std::int64_t> completed_;
  int alive_;
  bool stopping_ = false;
  std::exception_ptr first_error_;
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<CoordinatorBackend> make_local_backend(const ParameterServerStrategy& strategy,
                                                       const ClusterCoordinator::ModelFactory& make_model,
                                                       const ClusterCoordinator::OptimizerFactory& make_optimizer) {
  return std::make_unique<LocalBackend>(strategy, make_model, make_optimizer);
}

}  // namespace spool::distribute::detail
