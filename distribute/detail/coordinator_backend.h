// CoordinatorBackend: what ClusterCoordinator (parameter_server.h) does, in its two
// forms — worker threads with servers in memory (local_coordinator.cc) and MPI ranks
// (mpi_parameter_server.cc). The parts they share are here: the coordinator's model
// and optimizer and how the servers' values reach them, the remote values, and each
// worker's iterator.
// Thread-safety: as ClusterCoordinator; RemoteState is shared with the workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "spool/distribute/detail/parameter_shard.h"
#include "spool/distribute/parameter_server.h"

namespace spool::distribute::detail {

struct RemoteState {
  mutable std::mutex mutex;
  mutable std::condition_variable done_cv;
  bool done = false;
  Tensor value;
  std::exception_ptr error;
  bool elsewhere = false;          // a rank that is not the coordinator: no value here
  std::function<void()> progress;  // MPI: runs the coordinator's loop while waiting
  void finish(Tensor v, std::exception_ptr e);
};

struct PerWorkerIterators {
  std::function<data::Dataset(const InputContext&)> make;
  int workers = 1;
  std::vector<std::optional<data::Iterator>> iterators;
  // Worker w's iterator, made on first use (by the thread that uses it).
  data::Iterator& of(int worker);
};

// A scheduled closure: what to run, on which per-worker iterators, where its value goes.
struct Closure {
  std::int64_t id = 0;  // the order of schedule() calls (MPI ranks name closures by it)
  WorkerFn fn;
  std::shared_ptr<PerWorkerIterators> iterators;
  std::shared_ptr<RemoteState> result;
};

class CoordinatorBackend {
 public:
  CoordinatorBackend(const ParameterServerStrategy& strategy, const ClusterCoordinator::ModelFactory& make_model,
                     const ClusterCoordinator::OptimizerFactory& make_optimizer);
  virtual ~CoordinatorBackend();

  virtual RemoteValue schedule(WorkerFn fn, const PerWorkerDataset& dataset) = 0;
  virtual void join() = 0;
  virtual void load_servers() = 0;
  virtual std::int64_t version() const = 0;
  virtual StalenessHistogram staleness() const = 0;
  virtual std::vector<std::int64_t> completed_per_worker() const = 0;

  layers::Model& model() { return *model_; }
  autodiff::Optimizer& optimizer() { return *optimizer_; }

 protected:
  static RemoteValue remote(std::shared_ptr<RemoteState> state) { return RemoteValue(std::move(state)); }
  static std::shared_ptr<PerWorkerIterators> iterators(const PerWorkerDataset& dataset);
  // The servers' weights (flat) and shard states into the coordinator's model and optimizer.
  void take_from_servers(std::span<const float> weights, const std::vector<std::vector<NamedTensor>>& shard_states);
  // How a worker reaches the servers: read the weights (returns their version), apply
  // one gradient computed on a version (returns its staleness), withdraw a read that
  // will not be followed by an apply.
  struct ServerAccess {
    std::function<std::int64_t(std::span<float> weights)> read;
    std::function<std::int64_t(std::span<const float> gradient, std::int64_t version)> apply;
    std::function<void()> withdraw;
  };
  // One closure on `worker`, the same in both forms: the servers' weights into `model`,
  // fn with a WorkerContext whose one push is slowed as ParameterServerOptions asks and
  // applied through `servers`; a read left without a push (fn returned without one, or
  // threw) is withdrawn. `weights` and `gradient` are the worker's buffers of
  // layout.size floats. fn's exception is rethrown.
  Tensor run_closure(const Closure& closure, int worker, layers::Model& model, const FlatLayout& layout,
                     std::vector<float>& weights, std::vector<float>& gradient, const ServerAccess& servers) const;

  const ParameterServerStrategy& strategy_;
  ClusterCoordinator::ModelFactory make_model_;
  ClusterCoordinator::OptimizerFactory make_optimizer_;
  std::unique_ptr<layers::Model> model_;
  std::unique_ptr<autodiff::Optimizer> optimizer_;
  FlatLayout layout_;
};

std::unique_ptr<CoordinatorBackend> make_local_backend(const ParameterServerStrategy& strategy,
                                                       const ClusterCoordinator::ModelFactory& make_model,
                                                       const ClusterCoordinator::OptimizerFactory& make_optimizer);
std::unique_ptr<CoordinatorBackend> make_mpi_backend(const ParameterServerStrategy& strategy,
                                                     const ClusterCoordinator::ModelFactory& make_model,
                                                     const ClusterCoordinator::OptimizerFactory& make_optimizer);

}  // namespace spool::distribute::detail
