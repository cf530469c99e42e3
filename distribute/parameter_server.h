// Asynchronous training with parameter servers (TensorFlow's ParameterServerStrategy
// and ClusterCoordinator): servers hold the variables, workers pull the weights, compute
// a gradient on their own batches and push it, and the servers apply each gradient as it
// comes, without waiting for the other workers. A slow worker slows only itself; the
// price is staleness: a gradient computed on weights that others have changed since
// (staleness_gate.h counts it, bounds it, and can shrink the step it takes).
// Synchronous all-reduce (strategy.h) stays the default everywhere.
//
//   distribute::ParameterServerStrategy strategy(
//       distribute::ParameterServerOptions().workers(2).servers(1).max_staleness(4));
//   distribute::ClusterCoordinator coordinator(
//       strategy, [] { return std::make_unique<layers::Sequential>(layers::zoo_model("cnn", {28, 28, 1}, 10, 7)); },
//       [] { return std::make_unique<autodiff::Adam>(autodiff::AdamOptions().learning_rate(1e-3)); });
//   auto per_worker = coordinator.create_per_worker_dataset([&](const distribute::InputContext& ctx) {
//     return train.shard(ctx.num_input_pipelines, ctx.input_pipeline_id).shuffle(60000, seed + ctx.input_pipeline_id)
//                 .batch(64).repeat();
//   });
//   for (int step = 0; step < 1000; ++step)
//     coordinator.schedule([&](distribute::WorkerContext& w, data::Iterator& it) {
//       const data::Element batch = *it.next();
//       autodiff::GradientTape tape;
//       Tensor loss = loss_fn(batch[1], w.model()(batch[0], {.training = true}));
//       w.apply_gradients(tape.gradient(loss, w.model().trainable_variables()));
//       return loss;
//     }, per_worker);
//   coordinator.join();                 // coordinator.model() now holds the servers' weights
//
// Set-ups, one class:
// - In this process: options.workers() threads (each with its share of the kernel
//   threads and a model of its own, refreshed from the servers at every step) and
//   options.servers() shards in memory.
// - Under mpirun (over_mpi()): rank 0 is the coordinator, ranks 1..servers hold one
//   shard each, the other ranks are workers. Every rank runs the same program: the
//   coordinator's schedule() hands closure k to an idle worker rank, which runs its own
//   copy of closure k (the program scheduled the same closures on every rank, as an
//   MPI program does). Messages are MPI point-to-point (mpi_parameter_server.cc says
//   why not one-sided windows).
// Both run the same update rule (detail/parameter_shard.h) and the same gate.
//
// Variables: the model's trainable variables, concatenated, are cut into one equal
// range per server (detail/parameter_shard.h); each server has its own optimizer
// (from the factory) for its range. The coordinator's model starts the servers; a
// model with non-trainable variables, f64 variables, or an optimizer with clipnorm or
// global_clipnorm is refused (InvalidArgument).
// Errors: an exception in a closure is its RemoteValue's, and join() rethrows the first
// one after the rest have run (TensorFlow's coordinator does the same). A closure
// that throws Unavailable (the worker is gone) is rescheduled on another worker and the
// worker takes no more work; when no worker is left, join() throws Unavailable. So a
// closure runs at least once, as in TensorFlow: an update it pushed before throwing
// stays applied. Under
// MPI a worker or server that dies (a SIGKILL, a lost machine) ends the job: Open MPI
// 4.1 cannot keep a job past a lost rank (docs/distributed.md), so mpirun ends every
// rank, naming the dead one, and training resumes from the last checkpoint.
// Thread-safety: one thread drives the coordinator; closures run on the worker threads
// at once, each with its own WorkerContext and iterator.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spool/autodiff/model.h"
#include "spool/autodiff/optim/optimizer.h"
#include "spool/data/dataset.h"
#include "spool/distribute/distributed_dataset.h"
#include "spool/distribute/staleness_gate.h"
#include "spool/tensor/tensor.h"

namespace spool::distribute {

namespace detail {
class CoordinatorBackend;
struct PerWorkerIterators;
struct RemoteState;
}  // namespace detail

class ParameterServerOptions {
 public:
  // Worker threads of the in-process form (under MPI the ranks decide). Default 2.
  ParameterServerOptions& workers(int n) { return set(workers_, n); }
  // Parameter servers (shards). Default 1.
  ParameterServerOptions& servers(int n) { return set(servers_, n); }
  // nullopt: fully asynchronous (the default); s >= 0: no update staler than s.
  ParameterServerOptions& max_staleness(std::optional<int> s) { return set(max_staleness_, s); }
  // Staleness-aware step size: the learning rate divided by 1 + staleness.
  ParameterServerOptions& scale_learning_rate(bool on) { return set(scale_learning_rate_, on); }
  // Experiments: worker `worker`'s steps take `factor` times as long (it sleeps
  // (factor - 1) × its compute time before pushing): the slow worker async exists for.
  ParameterServerOptions& slow_worker(int worker, double factor) {
    slow_worker_ = worker;
    return set(slow_factor_, factor);
  }

  int workers() const { return workers_; }
  int servers() const { return servers_; }
  std::optional<int> max_staleness() const { return max_staleness_; }
  bool scale_learning_rate() const { return scale_learning_rate_; }
  int slow_worker() const { return slow_worker_; }
  double slow_factor() const { return slow_factor_; }
  // "asynchronous", "bounded staleness 4", "asynchronous, staleness-aware step".
  std::string describe_policy() const;

 private:
  template <typename F, typename V>
  ParameterServerOptions& set(F& field, V value) {
    field = std::move(value);
    return *this;
  }
  int workers_ = 2;
  int servers_ = 1;
  std::optional<int> max_staleness_;
  bool scale_learning_rate_ = false;
  int slow_worker_ = -1;
  double slow_factor_ = 1;
};

class ParameterServerStrategy {
 public:
  enum class Role { kCoordinator, kServer, kWorker };

  // The in-process form (InvalidArgument for workers or servers < 1, a negative bound,
  // a slow factor < 1).
  explicit ParameterServerStrategy(ParameterServerOptions options);
  // The job's MPI ranks: 0 coordinates, 1..servers serve, the rest work (at least one:
  // InvalidArgument naming the ranks otherwise).
  static std::unique_ptr<ParameterServerStrategy> over_mpi(ParameterServerOptions options);

  const ParameterServerOptions& options() const { return options_; }
  bool in_process() const { return rank_ < 0; }
  Role role() const;
  int num_workers() const { return options_.workers(); }
  int num_servers() const { return options_.servers(); }
  // This process's MPI rank, or -1 in process.
  int rank() const { return rank_; }
  // This rank's worker index (under MPI, on a worker rank), else -1.
  int worker_index() const;
  // The coordinator: it logs, evaluates and writes checkpoints.
  bool is_chief() const { return role() == Role::kCoordinator; }
  // "ParameterServerStrategy: 2 workers (threads), 1 server in memory, asynchronous".
  std::string describe() const;

 private:
  friend class ClusterCoordinator;
  ParameterServerStrategy(ParameterServerOptions options, int rank, int size);
  ParameterServerOptions options_;
  int rank_ = -1;  // -1: in process
};

// What a closure knows on the worker that runs it.
class WorkerContext {
 public:
  int worker_index() const { return worker_; }
  int num_workers() const { return workers_; }
  // This worker's copy of the model, holding the weights of version().
  layers::Model& model() { return *model_; }
  // The version of the weights the closure computes on (updates applied before it read).
  std::int64_t version() const { return version_; }
  // The gradients of model().trainable_variables(), in that order, as one update of the
  // servers' variables (an undefined one counts as zeros); returns its staleness.
  std::int64_t apply_gradients(std::span<const Tensor> grads);
  std::int64_t apply_gradients(const std::vector<Tensor>& grads) { return apply_gradients(std::span<const Tensor>(grads)); }

 private:
  friend class detail::CoordinatorBackend;
  WorkerContext(int worker, int workers, layers::Model* model, std::int64_t version,
                std::function<std::int64_t(std::span<const Tensor>)> push)
      : worker_(worker), workers_(workers), model_(model), version_(version), push_(std::move(push)) {}
  int worker_;
  int workers_;
  layers::Model* model_;
  std::int64_t version_;
  std::function<std::int64_t(std::span<const Tensor>)> push_;
};

using WorkerFn = std::function<Tensor(WorkerContext&, data::Iterator&)>;

// A closure's result, once it has run (TF's RemoteValue).
class RemoteValue {
 public:
  bool ready() const;
  // Waits for the closure; its return value, or its exception rethrown. On a rank
  // other than the coordinator's: InvalidArgument (results live on the coordinator).
  Tensor fetch() const;

 private:
  friend class detail::CoordinatorBackend;
  explicit RemoteValue(std::shared_ptr<detail::RemoteState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::RemoteState> state_;
};

// Each worker's own pipeline (its shard, its shuffle seed), made by the function.
class PerWorkerDataset {
 private:
  friend class ClusterCoordinator;
  friend class detail::CoordinatorBackend;
  std::shared_ptr<detail::PerWorkerIterators> iterators_;
};

class ClusterCoordinator {
 public:
  using ModelFactory = std::function<std::unique_ptr<layers::Model>()>;
  using OptimizerFactory = std::function<std::unique_ptr<autodiff::Optimizer>()>;

  // make_model builds the model (built, same architecture every call); the
  // coordinator's copy gives the servers their initial weights. make_optimizer makes
  // each server's optimizer and the coordinator's (the one checkpoints save).
  ClusterCoordinator(ParameterServerStrategy& strategy, const ModelFactory& make_model,
                     const OptimizerFactory& make_optimizer);
  // Closures not started yet are cancelled (in one process: their RemoteValues throw
  // Cancelled); running ones end first.
  ~ClusterCoordinator();
  ClusterCoordinator(const ClusterCoordinator&) = delete;
  ClusterCoordinator& operator=(const ClusterCoordinator&) = delete;

  // fn runs once per worker, on that worker's thread (so several may run at once).
  PerWorkerDataset create_per_worker_dataset(const std::function<data::Dataset(const InputContext&)>& fn);
  // Queues fn to run on the next free worker with that worker's iterator; returns at once.
  RemoteValue schedule(WorkerFn fn, const PerWorkerDataset& dataset);
  // Waits for every scheduled closure; then model() and optimizer() hold the servers'
  // weights and optimizer state. Rethrows the first closure's exception, if any.
  void join();

  // The coordinator's model and optimizer: after join(), the servers' values (what a
  // checkpoint saves). After changing them (restoring a checkpoint), load_servers()
  // gives the servers their values.
  layers::Model& model();
  autodiff::Optimizer& optimizer();
  void load_servers();

  // Updates applied so far (every server's version).
  std::int64_t version() const;
  // The staleness of every update applied so far (a server's count: every update
  // reaches every server once).
  StalenessHistogram staleness() const;
  // Closures each worker has completed.
  std::vector<std::int64_t> completed_per_worker() const;
  const ParameterServerStrategy& strategy() const { return strategy_; }

 private:
  ParameterServerStrategy& strategy_;
  std::unique_ptr<detail::CoordinatorBackend> backend_;
};

}  // namespace spool::distribute
