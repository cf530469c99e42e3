#include "spool/distribute/strategy.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "spool/autodiff/cross_replica.h"
#include "spool/data/detail/stack.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
#include "spool/distribute/detail/replica_sum.h"
#include "spool/distribute/detail/replica_threads.h"
#include "spool/distribute/mpi_worker_group.h"
#include "spool/tensor/error.h"
#include "spool/tensor/tensor_file.h"
#include "spool/tensor/thread_pool.h"

namespace spool::distribute {
namespace {

thread_local Strategy* t_current = nullptr;

// The process pool's threads (SPOOL_NUM_THREADS, set_num_threads, else the cores),
// shared out among the replicas.
int kernel_threads_per_replica(int replicas) { return std::max(1, num_threads() / replicas); }

int checked_replicas(int replicas, const char* what) {
  SPOOL_CHECK(replicas >= 1 && replicas <= 1024, InvalidArgument, what, ": replicas must be in [1, 1024], got ",
              replicas);
  return replicas;
}

}  // namespace

// ---- ReplicaContext ----

int ReplicaContext::num_replicas_in_sync() const { return strategy_->num_replicas_in_sync(); }

std::vector<Tensor> ReplicaContext::all_reduce(ReduceOp op, const std::vector<Tensor>& values) const {
  return strategy_->all_reduce_in_replica(local_id_, op, values);
}

// ---- Strategy ----

Strategy::Strategy(std::string name, int local_replicas, std::shared_ptr<WorkerGroup> workers)
    : name_(std::move(name)), local_replicas_(local_replicas), workers_(std::move(workers)) {
  if (local_replicas_ > 1) {
    threads_ = std::make_unique<detail::ReplicaThreads>(local_replicas_, kernel_threads_per_replica(local_replicas_));
  }
  sum_ = std::make_unique<detail::ReplicaSum>(local_replicas_, threads_.get(), *workers_);
  sum_->set_global_ids(workers_->rank() * local_replicas_);
}

Strategy::~Strategy() = default;

std::string Strategy::describe() const {
  return name_ + ": " + std::to_string(num_replicas_in_sync()) + " replica" + (num_replicas_in_sync() == 1 ? "" : "s") +
         " in sync (" + std::to_string(workers_->size()) + " worker" + (workers_->size() == 1 ? "" : "s") + " × " +
         std::to_string(local_replicas_) + ")";
}

Strategy::Scope::Scope(Strategy* strategy) : previous_(t_current) { t_current = strategy; }
Strategy::Scope::~Scope() { t_current = previous_; }
Strategy::Scope Strategy::scope() { return Scope(this); }

Strategy& get_strategy() {
  if (t_current != nullptr) return *t_current;
  static OneDeviceStrategy default_strategy;
  return default_strategy;
}

PerReplica Strategy::run(const StepFn& step_fn, const DistributedBatch& batch) {
  SPOOL_CHECK(static_cast<int>(batch.parts.size()) == local_replicas_, InvalidArgument, name_, ".run: the batch has ",
              batch.parts.size(), " parts for ", local_replicas_, " local replicas (make it with distribute or split)");
  PerReplica out;
  out.values.resize(static_cast<std::size_t>(local_replicas_));
  const int first_global = workers_->rank() * local_replicas_;
  auto replica_step = [&](int r) {
    const ReplicaContext context(*this, r, first_global + r, batch.global_examples);
    const bool crosses = num_replicas_in_sync() > 1;
    std::optional<autodiff::CrossReplicaScope> scope;
    if (crosses) scope.emplace(&sum_->cross_replica(r));
    sum_->step_started(r);
    out.values[static_cast<std::size_t>(r)] = step_fn(context, batch.parts[static_cast<std::size_t>(r)]);
  };
  if (threads_) {
    threads_->run(replica_step);
  } else {
    replica_step(0);
  }
  return out;
}

void Strategy::slow_replica(int replica, double factor) { sum_->slow_replica(replica, factor); }

std::vector<Tensor> Strategy::all_reduce_in_replica(int local_id, ReduceOp op, const std::vector<Tensor>& values) {
  // One flat buffer for all the tensors, one collective whatever their number: in
  // their dtype when they share one (f32 gradients travel as f32), else in f64.
  DType dtype = values.empty() ? DType::kF32 : values[0].dtype();
  std::int64_t total = 0;
  for (const Tensor& v : values) {
    SPOOL_CHECK(v.dtype() == DType::kF32 || v.dtype() == DType::kF64, InvalidArgument,
                "ReplicaContext::all_reduce: f32 or f64 tensors, got ", dtype_name(v.dtype()));
    if (v.dtype() != dtype) dtype = DType::kF64;
    total += v.numel();
  }
  Tensor flat = Tensor::empty(Shape{total}, dtype);
  const std::size_t element = flat.element_size();
  std::int64_t at = 0;
  for (const Tensor& v : values) {
    const Tensor same = v.dtype() == dtype ? v.contiguous() : v.cast(dtype).contiguous();
    std::memcpy(static_cast<char*>(flat.raw_data()) + static_cast<std::size_t>(at) * element, same.raw_data(),
                static_cast<std::size_t>(v.numel()) * element);
    at += v.numel();
  }
  sum_->all_reduce(local_id, flat);
  std::vector<Tensor> out;
  at = 0;
  for (const Tensor& v : values) {
    Tensor part = flat.slice(0, at, at + v.numel()).reshape(v.shape().dims());
    if (op == ReduceOp::kMean) part = kernels::div(part, static_cast<double>(num_replicas_in_sync()));
    out.push_back(part.dtype() == v.dtype() ? part : part.cast(v.dtype()).contiguous());
    at += v.numel();
  }
  return out;
}

Tensor Strategy::reduce(ReduceOp op, const PerReplica& per_replica, std::optional<std::int64_t> axis) {
  SPOOL_CHECK(!per_replica.values.empty(), InvalidArgument, name_, ".reduce: no values");
  const Tensor& first = per_replica.values[0];
  const DType dtype = first.dtype();
  SPOOL_CHECK(dtype == DType::kF32 || dtype == DType::kF64, InvalidArgument, name_,
              ".reduce: f32 or f64 values, got ", dtype_name(dtype));
  // Local sum in replica order, in f64; then the count, then the workers' sum.
  Tensor sum;
  std::int64_t count = 0;
  for (const Tensor& v : per_replica.values) {
    SPOOL_CHECK(v.dtype() == dtype, InvalidArgument, name_, ".reduce: replicas give ", dtype_name(dtype), " and ",
                dtype_name(v.dtype()));
    Tensor part = v.cast(DType::kF64);
    if (axis) {
      const std::int64_t a = *axis < 0 ? *axis + v.rank() : *axis;
      SPOOL_CHECK(a >= 0 && a < v.rank(), InvalidArgument, name_, ".reduce: axis ", *axis, " out of range for shape ",
                  v.shape().to_string());
      count += v.dim(a);
      part = kernels::sum(part, {a});
    } else {
      SPOOL_CHECK(v.shape() == first.shape(), InvalidArgument, name_, ".reduce: replicas give shapes ",
                  first.shape().to_string(), " and ", v.shape().to_string());
      count += 1;
    }
    sum = sum.defined() ? kernels::add(sum, part) : part.contiguous();
  }
  Tensor flat = Tensor::empty(Shape{sum.numel() + 1}, DType::kF64);
  std::memcpy(flat.data<double>(), sum.contiguous().data<double>(), static_cast<std::size_t>(sum.numel()) * sizeof(double));
  flat.data<double>()[sum.numel()] = static_cast<double>(count);
  workers_->all_reduce_sum(std::span<double>(flat.data<double>(), static_cast<std::size_t>(flat.numel())));
  Tensor total = flat.slice(0, 0, sum.numel()).reshape(sum.shape().dims());
  if (op == ReduceOp::kMean) {
    const double n = flat.data<double>()[sum.numel()];
    total = kernels::div(total, n);
  }
  return total.cast(dtype).contiguous();
}

void Strategy::broadcast_variables(std::span<const autodiff::Variable> variables) {
  if (workers_->size() == 1) return;
  std::vector<NamedTensor> named;
  for (const auto& v : variables) named.push_back({v.name(), v.unwatched_value()});
  std::string bytes = workers_->rank() == 0 ? encode_tensors(named) : std::string();
  workers_->broadcast(bytes);
  if (workers_->rank() == 0) return;
  const std::vector<NamedTensor> received = decode_tensors(bytes, "worker 0's variables");
  SPOOL_CHECK(received.size() == variables.size(), InvalidArgument, "broadcast_variables: worker 0 sent ",
              received.size(), " variables, this worker has ", variables.size());
  for (std::size_t i = 0; i < variables.size(); ++i) {
    SPOOL_CHECK(received[i].name == variables[i].name(), InvalidArgument, "broadcast_variables: variable ", i,
                " is ", quoted(received[i].name), " on worker 0 and ", quoted(variables[i].name()), " here");
    autodiff::Variable v = variables[i];
    v.assign(received[i].tensor);
  }
}

DistributedBatch Strategy::split(const data::Element& global_batch) const {
  const std::int64_t rows = data::detail::batch_rows(global_batch, name_);
  const std::int64_t replicas = num_replicas_in_sync();
  DistributedBatch out;
  out.global_examples = rows;
  for (int r = 0; r < local_replicas_; ++r) {
    const std::int64_t g = static_cast<std::int64_t>(workers_->rank()) * local_replicas_ + r;
    out.parts.push_back(data::detail::slice_rows(global_batch, rows * g / replicas, rows * (g + 1) / replicas));
    out.sample_weights.emplace_back();
  }
  return out;
}

// ---- the three set-ups ----

OneDeviceStrategy::OneDeviceStrategy() : Strategy("OneDeviceStrategy", 1, std::make_shared<LocalWorkerGroup>()) {}

MirroredStrategy::MirroredStrategy(int replicas)
    : Strategy("MirroredStrategy", checked_replicas(replicas, "MirroredStrategy"),
               std::make_shared<LocalWorkerGroup>()) {}

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(int replicas_per_worker)
    : MultiWorkerMirroredStrategy(replicas_per_worker, mpi_world()) {}

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(int replicas_per_worker, std::shared_ptr<WorkerGroup> workers)
    : Strategy("MultiWorkerMirroredStrategy", checked_replicas(replicas_per_worker, "MultiWorkerMirroredStrategy"),
               std::move(workers)) {}

}  // namespace spool::distribute
