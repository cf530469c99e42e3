#include "spool/distribute/parameter_server.h"

#include <chrono>
#include <thread>

#include "spool/distribute/detail/coordinator_backend.h"
#include "spool/distribute/mpi_worker_group.h"
#include "spool/tensor/error.h"

namespace spool::distribute {

std::string ParameterServerOptions::describe_policy() const {
  std::string policy = max_staleness_ ? "bounded staleness " + std::to_string(*max_staleness_) : "asynchronous";
  if (scale_learning_rate_) policy += ", staleness-aware step";
  return policy;
}

namespace {

void check_options(const ParameterServerOptions& o) {
  SPOOL_CHECK(o.workers() >= 1, InvalidArgument, "parameter servers: workers must be at least 1, got ", o.workers());
  SPOOL_CHECK(o.servers() >= 1, InvalidArgument, "parameter servers: servers must be at least 1, got ", o.servers());
  SPOOL_CHECK(!o.max_staleness() || *o.max_staleness() >= 0, InvalidArgument,
              "parameter servers: max_staleness must be >= 0, got ", o.max_staleness().value_or(0));
  SPOOL_CHECK(o.slow_factor() >= 1, InvalidArgument, "parameter servers: a slow worker's factor must be >= 1, got ",
              o.slow_factor());
  SPOOL_CHECK(o.slow_worker() < o.workers(), InvalidArgument, "parameter servers: slow worker ", o.slow_worker(),
              " but only ", o.workers(), " workers");
}

}  // namespace

ParameterServerStrategy::ParameterServerStrategy(ParameterServerOptions options) : options_(std::move(options)) {
  check_options(options_);
}

ParameterServerStrategy::ParameterServerStrategy(ParameterServerOptions options, int rank, int size)
    : options_(std::move(options)), rank_(rank) {
  SPOOL_CHECK(size >= options_.servers() + 2, InvalidArgument, "ParameterServerStrategy under MPI: ", size,
              " ranks, but rank 0 coordinates and ranks 1..", options_.servers(),
              " are servers, so at least one more rank is needed for a worker (mpirun -np ", options_.servers() + 2,
              " or more)");
  options_.workers(size - 1 - options_.servers());
  check_options(options_);
}

std::unique_ptr<ParameterServerStrategy> ParameterServerStrategy::over_mpi(ParameterServerOptions options) {
  const std::shared_ptr<WorkerGroup> world = mpi_world();
  return std::unique_ptr<ParameterServerStrategy>(
      new ParameterServerStrategy(std::move(options), world->rank(), world->size()));
}

ParameterServerStrategy::Role ParameterServerStrategy::role() const {
  if (rank_ <= 0) return Role::kCoordinator;
  return rank_ <= options_.servers() ? Role::kServer : Role::kWorker;
}

int ParameterServerStrategy::worker_index() const {
  return role() == Role::kWorker ? rank_ - 1 - options_.servers() : -1;
}

std::string ParameterServerStrategy::describe() const {
  const auto plural = [](int n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
  return "ParameterServerStrategy: " + plural(num_workers(), "worker") + (in_process() ? " (threads), " : " (ranks), ") +
         plural(num_servers(), "server") + (in_process() ? " in memory, " : " (ranks), ") + options_.describe_policy();
}

std::int64_t WorkerContext::apply_gradients(std::span<const Tensor> grads) { return push_(grads); }

bool RemoteValue::ready() const {
  SPOOL_CHECK(state_ != nullptr, InvalidArgument, "RemoteValue: empty");
  const std::lock_guard lock(state_->mutex);
  return state_->done;
}

Tensor RemoteValue::fetch() const {
  SPOOL_CHECK(state_ != nullptr, InvalidArgument, "RemoteValue: empty");
  SPOOL_CHECK(!state_->elsewhere, InvalidArgument,
              "RemoteValue::fetch: a closure's value lives on the coordinator (rank 0), not on this rank");
  for (;;) {
    {
      std::unique_lock lock(state_->mutex);
      if (!state_->progress) {
        state_->done_cv.wait(lock, [&] { return state_->done; });
      }
      if (state_->done) {
        if (state_->error) std::rethrow_exception(state_->error);
        return state_->value;
      }
    }
    state_->progress();
  }
}

namespace detail {

void RemoteState::finish(Tensor v, std::exception_ptr e) {
  {
    const std::lock_guard lock(mutex);
    value = std::move(v);
    error = std::move(e);
    done = true;
  }
  done_cv.notify_all();
}

data::Iterator& PerWorkerIterators::of(int worker) {
  auto& slot = iterators.at(static_cast<std::size_t>(worker));
  if (!slot) {
    InputContext ctx;
    ctx.num_input_pipelines = workers;
    ctx.input_pipeline_id = worker;
    ctx.num_replicas_in_sync = workers;
    slot.emplace(make(ctx).make_iterator());
  }
  return *slot;
}

CoordinatorBackend::CoordinatorBackend(const ParameterServerStrategy& strategy,
                                       const ClusterCoordinator::ModelFactory& make_model,
                                       const ClusterCoordinator::OptimizerFactory& make_optimizer)
    : strategy_(strategy), make_model_(make_model), make_optimizer_(make_optimizer) {
  model_ = make_model_();
  SPOOL_CHECK(model_ != nullptr && model_->built(), InvalidArgument,
              "ClusterCoordinator: the model factory must give a built model");
  layout_ = FlatLayout::of(model_->variables());
  optimizer_ = make_optimizer_();
  SPOOL_CHECK(optimizer_ != nullptr, InvalidArgument, "ClusterCoordinator: the optimizer factory gave no optimizer");
  SPOOL_CHECK(optimizer_->clipnorm() == 0 && optimizer_->global_clipnorm() == 0, InvalidArgument,
              "ClusterCoordinator: ", optimizer_->kind(),
              " with clipnorm or global_clipnorm: the norms would span the parameter servers; clip the gradients "
              "in the closure instead");
  optimizer_->build(layout_.variables);
}

CoordinatorBackend::~CoordinatorBackend() = default;

std::shared_ptr<PerWorkerIterators> CoordinatorBackend::iterators(const PerWorkerDataset& dataset) {
  SPOOL_CHECK(dataset.iterators_ != nullptr, InvalidArgument,
              "ClusterCoordinator::schedule: the dataset was not made by create_per_worker_dataset");
  return dataset.iterators_;
}

void CoordinatorBackend::take_from_servers(std::span<const float> weights,
                                           const std::vector<std::vector<NamedTensor>>& shard_states) {
  layout_.unpack_values(weights);
  optimizer_->load_state(gather_optimizer_state(layout_, shard_states));
}

Tensor CoordinatorBackend::run_closure(const Closure& closure, int worker, layers::Model& model,
                                       const FlatLayout& layout, std::vector<float>& weights,
                                       std::vector<float>& gradient, const ServerAccess& servers) const {
  data::Iterator& it = closure.iterators->of(worker);
  const std::int64_t version = servers.read(weights);
  layout.unpack_values(weights);
  const auto started = std::chrono::steady_clock::now();
  bool pushed = false;
  WorkerContext ctx(worker, strategy_.num_workers(), &model, version, [&](std::span<const Tensor> grads) {
    SPOOL_CHECK(!pushed, InvalidArgument, "WorkerContext::apply_gradients: once per closure (worker ", worker,
                " pushed twice on the weights of version ", version, ")");
    pushed = true;
    const ParameterServerOptions& o = strategy_.options();
    if (worker == o.slow_worker() && o.slow_factor() > 1) {
      std::this_thread::sleep_for((std::chrono::steady_clock::now() - started) * (o.slow_factor() - 1));
    }
    layout.pack(grads, gradient);
    return servers.apply(gradient, version);
  });
  try {
    Tensor value = closure.fn(ctx, it);
    if (!pushed) servers.withdraw();
    return value;
  } catch (...) {
    if (!pushed) servers.withdraw();
    throw;
  }
}

}  // namespace detail

ClusterCoordinator::ClusterCoordinator(ParameterServerStrategy& strategy, const ModelFactory& make_model,
                                       const OptimizerFactory& make_optimizer)
    : strategy_(strategy),
      backend_(strategy.in_process() ? detail::make_local_backend(strategy, make_model, make_optimizer)
                                     : detail::make_mpi_backend(strategy, make_model, make_optimizer)) {}

ClusterCoordinator::~ClusterCoordinator() = default;

PerWorkerDataset ClusterCoordinator::create_per_worker_dataset(
    const std::function<data::Dataset(const InputContext&)>& fn) {
  PerWorkerDataset out;
  out.iterators_ = std::make_shared<detail::PerWorkerIterators>();
  out.iterators_->make = fn;
  out.iterators_->workers = strategy_.num_workers();
  out.iterators_->iterators.resize(static_cast<std::size_t>(strategy_.num_workers()));
  return out;
}

RemoteValue ClusterCoordinator::schedule(WorkerFn fn, const PerWorkerDataset& dataset) {
  return backend_->schedule(std::move(fn), dataset);
}

void ClusterCoordinator::join() { backend_->join(); }
layers::Model& ClusterCoordinator::model() { return backend_->model(); }
autodiff::Optimizer& ClusterCoordinator::optimizer() { return backend_->optimizer(); }
void ClusterCoordinator::load_servers() { backend_->load_servers(); }
std::int64_t ClusterCoordinator::version() const { return backend_->version(); }
StalenessHistogram ClusterCoordinator::staleness() const { return backend_->staleness(); }
std::vector<std::int64_t> ClusterCoordinator::completed_per_worker() const { return backend_->completed_per_worker(); }

}  // namespace spool::distribute
