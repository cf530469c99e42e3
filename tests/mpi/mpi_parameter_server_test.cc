// Parameter servers over MPI ranks, one scenario per run of this program under
// `mpirun -np 4 mpi_parameter_server_test SCENARIO` (tests/mpi/CMakeLists.txt starts
// them): rank 0 coordinates; the others serve or work as the scenario says.
//   bitwise      2 servers, 1 worker: the weights of one replica's Adam steps, bitwise,
//                and the checkpoint the coordinator writes restores into a plain model
//   bounded      1 server, 2 workers, bound 1, worker 1 slowed 4x: every closure runs
//                once, no update is staler than 1 and some are exactly 1; a closure's
//                error reaches the coordinator's join
//   kill-worker  worker rank 3 SIGKILLs itself in its 3rd closure (expected to end the job)
//   kill-server  server rank 1 SIGKILLs itself 0.3 s into the run (expected to end the job)
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "mpi_test_support.h"
#include "spool/spool.h"

namespace {

using namespace spool;
using distribute::ClusterCoordinator;
using distribute::ParameterServerOptions;
using distribute::ParameterServerStrategy;
using distribute::WorkerContext;
using mpi_testing::failures;

std::vector<float> weights_of(const layers::Model& model) {
  std::vector<float> out;
  for (const autodiff::Variable& v : model.trainable_variables()) {
    const Tensor t = v.unwatched_value().contiguous();
    out.insert(out.end(), t.data<float>(), t.data<float>() + t.numel());
  }
  return out;
}

data::Dataset blobs(std::int64_t n) {
  const auto [x, y] = mpi_testing::blobs(n);
  return data::Dataset::from_tensor_slices({x, y});
}

std::unique_ptr<layers::Model> blob_model() { return std::make_unique<layers::Sequential>(mpi_testing::blob_model()); }

std::unique_ptr<autodiff::Optimizer> adam() {
  return std::make_unique<autodiff::Adam>(autodiff::AdamOptions().learning_rate(0.01));
}

Tensor blob_step(WorkerContext& w, data::Iterator& it) {
  static const losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  const std::optional<data::Element> batch = it.next();
  if (!batch) throw OutOfRange("the data ran out");
  autodiff::GradientTape tape;
  const Tensor loss = loss_fn((*batch)[1], w.model()((*batch)[0], {.training = true}));
  w.apply_gradients(tape.gradient(loss, w.model().trainable_variables()));
  return loss;
}

std::vector<float> one_replica(const data::Dataset& batches, int steps) {
  std::unique_ptr<layers::Model> model = blob_model();
  std::unique_ptr<autodiff::Optimizer> opt = adam();
  const losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  data::Iterator it = batches.make_iterator();
  for (int s = 0; s < steps; ++s) {
    const data::Element batch = *it.next();
    autodiff::GradientTape tape;
    const Tensor loss = loss_fn(batch[1], (*model)(batch[0], {.training = true}));
    opt->apply_gradients(tape.gradient(loss, model->trainable_variables()), model->trainable_variables());
  }
  return weights_of(*model);
}

void scenario_bitwise(const std::string& dir) {
  auto strategy = ParameterServerStrategy::over_mpi(ParameterServerOptions().servers(2));
  CHECK_THAT(strategy->num_workers() == 1, "workers " << strategy->num_workers());
  ClusterCoordinator coordinator(*strategy, blob_model, adam);
  const data::Dataset batches = blobs(16 * 10).batch(16);
  const auto ds = coordinator.create_per_worker_dataset([&](const distribute::InputContext&) { return batches; });
  std::vector<distribute::RemoteValue> values;
  for (int s = 0; s < 10; ++s) values.push_back(coordinator.schedule(blob_step, ds));
  coordinator.join();
  if (!strategy->is_chief()) return;
  for (const auto& v : values) CHECK_THAT(std::isfinite(v.fetch().item_as_double()), "a loss");
  CHECK_THAT(weights_of(coordinator.model()) == one_replica(batches, 10), "the servers' weights are not one replica's");
  CHECK_THAT(coordinator.staleness().count(0) == 10, coordinator.staleness().describe());
  autodiff::save_checkpoint(dir, coordinator.model().variables(), &coordinator.optimizer(), {});
  std::unique_ptr<layers::Model> plain = blob_model();
  autodiff::Adam plain_adam(autodiff::AdamOptions().learning_rate(0.01));
  autodiff::restore_checkpoint(dir, plain->variables(), &plain_adam);
  CHECK_THAT(weights_of(*plain) == one_replica(batches, 10), "the checkpoint");
  CHECK_THAT(plain_adam.iterations() == 10, plain_adam.iterations());
}

void scenario_bounded() {
  auto strategy = ParameterServerStrategy::over_mpi(
      ParameterServerOptions().servers(1).max_staleness(1).slow_worker(1, 4.0));
  CHECK_THAT(strategy->num_workers() == 2, "workers " << strategy->num_workers());
  ClusterCoordinator coordinator(*strategy, blob_model, adam);
  const data::Dataset examples = blobs(16 * 40);
  const auto ds = coordinator.create_per_worker_dataset([&](const distribute::InputContext& ctx) {
    return examples.shard(ctx.num_input_pipelines, ctx.input_pipeline_id).batch(16).repeat();
  });
  const distribute::WorkerFn step = [](WorkerContext& w, data::Iterator& it) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return blob_step(w, it);
  };
  for (int s = 0; s < 40; ++s) coordinator.schedule(step, ds);
  coordinator.join();
  if (strategy->is_chief()) {
    const distribute::StalenessHistogram h = coordinator.staleness();
    CHECK_THAT(h.total() == 40 && coordinator.version() == 40, h.describe());
    CHECK_THAT(h.max() <= 1, h.describe());
    CHECK_THAT(h.count(1) > 0, "the bound was never reached: " << h.describe());
    const std::vector<std::int64_t> done = coordinator.completed_per_worker();
    // Which worker did more is left to the scheduler: on an oversubscribed, loaded
    // machine the fast worker is slowed as much as the slow one.
    CHECK_THAT(done[0] + done[1] == 40, done[0] << " + " << done[1]);
  }
  // A closure's error reaches the coordinator's join; the servers stay consistent.
  coordinator.schedule([](WorkerContext&, data::Iterator&) -> Tensor { throw InvalidArgument("a bad closure"); }, ds);
  coordinator.schedule(step, ds);
  try {
    coordinator.join();
    CHECK_THAT(!strategy->is_chief(), "join did not rethrow the closure's error");
  } catch (const InvalidArgument& e) {
    CHECK_THAT(std::string(e.what()).find("a bad closure") != std::string::npos, e.what());
  }
  if (strategy->is_chief()) CHECK_THAT(coordinator.version() == 41, coordinator.version());
}

void scenario_kill(bool server) {
  auto strategy = ParameterServerStrategy::over_mpi(ParameterServerOptions().servers(1));
  ClusterCoordinator coordinator(*strategy, blob_model, adam);
  const data::Dataset examples = blobs(16 * 40);
  const auto ds = coordinator.create_per_worker_dataset([&](const distribute::InputContext& ctx) {
    return examples.shard(ctx.num_input_pipelines, ctx.input_pipeline_id).batch(16).repeat();
  });
  int mine = 0;
  const distribute::WorkerFn step = [&](WorkerContext& w, data::Iterator& it) {
    if (!server && w.worker_index() == 1 && ++mine == 3) raise(SIGKILL);
    return blob_step(w, it);
  };
  if (server && strategy->role() == ParameterServerStrategy::Role::kServer) {
    // The server dies shortly after the job starts working.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      raise(SIGKILL);
    }).detach();
  }
  const distribute::WorkerFn slow_step = [&](WorkerContext& w, data::Iterator& it) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return step(w, it);
  };
  for (int s = 0; s < 400; ++s) coordinator.schedule(slow_step, ds);
  coordinator.join();
  std::cerr << "rank " << mpi_testing::rank << ": the kill scenario ran to its end\n";
  ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mpirun -np 4 mpi_parameter_server_test bitwise|bounded|kill-worker|kill-server [DIR]\n";
    return 2;
  }
  const std::string scenario = argv[1];
  const std::shared_ptr<distribute::WorkerGroup> world = distribute::mpi_world();
  mpi_testing::rank = world->rank();
  try {
    if (scenario == "bitwise") {
      const std::string dir = (std::filesystem::temp_directory_path() / "spool_mpi_ps_bitwise").string();
      scenario_bitwise(dir);
      if (mpi_testing::rank == 0) std::filesystem::remove_all(dir);
    } else if (scenario == "bounded") {
      scenario_bounded();
    } else if (scenario == "kill-worker" || scenario == "kill-server") {
      scenario_kill(scenario == "kill-server");
    } else {
      std::cerr << "unknown scenario " << scenario << "\n";
      return 2;
    }
  } catch (const std::exception& e) {
    world->abort_job(e.what());
  }
  if (failures == 0) std::cout << "rank " << mpi_testing::rank << ": " << scenario << " ok\n";
  return failures == 0 ? 0 : 1;
}
