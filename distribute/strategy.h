// Strategy: data-parallel training as tf.distribute teaches it — the same model on
// every replica, each global batch split among the replicas, their gradients summed
// into one update of the one set of variables.
//
//   distribute::MirroredStrategy strategy(2);            // 2 replicas in this process
//   auto scope = strategy.scope();                       // Trainer and get_strategy() see it
//   model.build(Shape{28, 28, 1}, seed);
//   for (const distribute::DistributedBatch& batch : strategy.distribute(train_batches)) {
//     distribute::PerReplica losses = strategy.run(
//         [&](const distribute::ReplicaContext& ctx, const data::Element& part) {
//           autodiff::GradientTape tape;
//           Tensor per_example = loss_fn.per_example(part[1], model(part[0], {.training = true}));
//           Tensor loss = losses::compute_average_loss(per_example, ctx.global_batch_size());
//           auto grads = tape.gradient(loss, model.trainable_variables());
//           optimizer.apply_gradients(grads, model.trainable_variables());   // summed over replicas
//           return loss;
//         },
//         batch);
//     double loss = strategy.reduce(ReduceOp::kSum, losses).item_as_double();  // the global batch's mean
//   }
//
// The strategies (one class; the three names are TensorFlow's three set-ups):
// - OneDeviceStrategy: one replica on the calling thread, kernels on the process pool.
// - MirroredStrategy(n): n replicas in this process, each a thread that lives as long
//   as the strategy and holds its share of the kernel threads (num_threads() / n, at
//   least 1): replicas compute side by side instead of fork-joining per op.
// - MultiWorkerMirroredStrategy(n = 1): one process per worker, started by `mpirun`
//   (or srun, or the MPI Operator); rank and world size come from MPI; n replicas per
//   worker as in Mirrored. num_replicas_in_sync = workers × n.
//
// Variables: replicas of one process read the model's one set of variables (they are
// mirrored by construction); workers start from worker 0's values
// (broadcast_variables, which Trainer::fit calls). A step written for one replica runs
// unchanged: inside run(), Optimizer::apply_gradients sums the replicas' gradients
// (autodiff/cross_replica.h) over a flat buffer laid out like the model's arena, in
// replica order and then with MPI_Allreduce across workers, and takes one step with
// the sum, each replica updating its share of the elements. So a given replica ×
// worker count gives bitwise the same weights run after run.
// Loss scaling is TensorFlow's: each replica minimises
// compute_average_loss(per_example, global_batch_size), so the summed gradient is the
// gradient of the global batch's mean loss.
//
// Failure: an exception in one replica's step ends the others' waits (never a hang)
// and run() throws it as "replica r: ..." with its type. Across workers the
// collectives are blocking MPI ones, so the other workers wait for one whose step
// threw until the job ends: an application that gives up calls
// workers().abort_job(cause) (MPI_Abort: mpirun ends every worker, and `spool train`
// does this, naming the rank and the cause), or leaves main by the exception, which
// mpirun also notices. A worker that dies (SIGKILL) is noticed by mpirun, which ends
// the job naming the rank. A worker whose input ends early is no failure:
// distributed_dataset.h agrees on every step.
// Layers that write state in a training call (BatchNormalization's moving statistics)
// take it from replica 0's part of the batch only (replica_id_in_sync_group 0).
// Thread-safety: one thread drives a strategy (run, reduce, distribute); step_fn runs
// on the replica threads at once, so it must not share mutable state across replicas
// other than through the ReplicaContext.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spool/autodiff/variable.h"
#include "spool/data/element.h"
#include "spool/distribute/distributed_dataset.h"
#include "spool/distribute/worker_group.h"
#include "spool/tensor/tensor.h"

namespace spool::distribute {

namespace detail {
class ReplicaThreads;
class ReplicaSum;
}  // namespace detail

enum class ReduceOp { kSum, kMean };

class Strategy;

// What a replica knows inside run(): who it is among all replicas of the job, and how
// to combine values with the others (every replica must call all_reduce alike).
class ReplicaContext {
 public:
  int replica_id_in_sync_group() const { return global_id_; }
  int num_replicas_in_sync() const;
  // The examples of this step's global batch, over every replica (the divisor of
  // compute_average_loss; a short last batch counts what it has).
  std::int64_t global_batch_size() const { return global_batch_size_; }
  // Every replica's tensors combined element-wise (same shapes and dtypes on every
  // replica; f32 or f64), in replica order: bitwise the same on all replicas.
  std::vector<Tensor> all_reduce(ReduceOp op, const std::vector<Tensor>& values) const;

 private:
  friend class Strategy;
  ReplicaContext(Strategy& strategy, int local_id, int global_id, std::int64_t global_batch_size)
      : strategy_(&strategy), local_id_(local_id), global_id_(global_id), global_batch_size_(global_batch_size) {}
  Strategy* strategy_;
  int local_id_;
  int global_id_;
  std::int64_t global_batch_size_;
};

// One value per replica of this worker, in replica order (TF's PerReplica).
struct PerReplica {
  std::vector<Tensor> values;
};

using StepFn = std::function<Tensor(const ReplicaContext&, const data::Element&)>;

class Strategy {
 public:
  virtual ~Strategy();
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  // "OneDeviceStrategy", "MirroredStrategy", "MultiWorkerMirroredStrategy".
  const std::string& name() const { return name_; }
  int num_replicas_in_sync() const { return local_replicas_ * workers_->size(); }
  int local_replicas() const { return local_replicas_; }
  WorkerGroup& workers() const { return *workers_; }
  int worker_rank() const { return workers_->rank(); }
  // True on the worker that logs, writes checkpoints and metrics (rank 0).
  bool is_chief() const { return workers_->rank() == 0; }
  // "MirroredStrategy: 2 replicas in sync (1 worker × 2)", for logs.
  std::string describe() const;

  // While the returned object lives, get_strategy() on this thread returns this one.
  class Scope {
   public:
    ~Scope();
    Scope(Scope&&) = delete;

   private:
    friend class Strategy;
    explicit Scope(Strategy* strategy);
    Strategy* previous_;
  };
  [[nodiscard]] Scope scope();

  // step_fn once per local replica, on the replica threads at once, each with its part.
  PerReplica run(const StepFn& step_fn, const DistributedBatch& batch);
  // Combines per-replica values over every replica of the job. Without axis: element-
  // wise (MEAN divides by num_replicas_in_sync). With axis: the values are also reduced
  // along it (MEAN divides by the total extent of that axis over all replicas), as
  // tf.distribute.Strategy.reduce. f32/f64 in, the same dtype out.
  Tensor reduce(ReduceOp op, const PerReplica& per_replica, std::optional<std::int64_t> axis = std::nullopt);
  // Worker 0's values into every worker's variables (every worker passes the same
  // variables in the same order). A no-op on one worker.
  void broadcast_variables(std::span<const autodiff::Variable> variables);

  // Splits a batch of rows into this worker's replicas' parts: global replica g of G
  // gets rows [rows·g/G, rows·(g+1)/G) of every component, as views (every component
  // needs the same extent of axis 0: InvalidArgument otherwise). `global_examples` is
  // set to rows.
  DistributedBatch split(const data::Element& global_batch) const;

  // Input (distributed_dataset.h): ds's global batches split among the replicas of the
  // job, or a pipeline per worker built by fn.
  DistributedDataset distribute(const data::Dataset& ds, const DistributeOptions& options = {});
  DistributedDataset distribute_from_function(const std::function<data::Dataset(const InputContext&)>& fn,
                                              TailPolicy tail = TailPolicy::kPartial);
  InputContext input_context() const;

  // Experiments: local replica `replica` computes `factor` times as long (it sleeps
  // (factor - 1) × its compute time before the gradients are summed), the straggler
  // synchronous training waits for (parameter_server.h has the same for a worker).
  void slow_replica(int replica, double factor);

 protected:
  Strategy(std::string name, int local_replicas, std::shared_ptr<WorkerGroup> workers);

 private:
  friend class ReplicaContext;
  friend class detail::ReplicaSum;
  std::vector<Tensor> all_reduce_in_replica(int local_id, ReduceOp op, const std::vector<Tensor>& values);

  std::string name_;
  int local_replicas_;
  std::shared_ptr<WorkerGroup> workers_;
  std::unique_ptr<detail::ReplicaThreads> threads_;  // null for one local replica
  std::unique_ptr<detail::ReplicaSum> sum_;
};

class OneDeviceStrategy final : public Strategy {
 public:
  OneDeviceStrategy();
};

class MirroredStrategy final : public Strategy {
 public:
  // replicas >= 1 (InvalidArgument otherwise).
  explicit MirroredStrategy(int replicas);
};

class MultiWorkerMirroredStrategy final : public Strategy {
 public:
  // The job's workers from MPI (mpi_worker_group.h), `replicas_per_worker` each.
  explicit MultiWorkerMirroredStrategy(int replicas_per_worker = 1);
  // Any group of workers (tests give a fake one).
  MultiWorkerMirroredStrategy(int replicas_per_worker, std::shared_ptr<WorkerGroup> workers);
};

// The strategy of the innermost live Strategy::scope() on this thread, else a
// process-wide OneDeviceStrategy (TF's tf.distribute.get_strategy()).
Strategy& get_strategy();

}  // namespace spool::distribute
