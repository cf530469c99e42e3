// Parameter servers in one process: one worker without staleness reaches bitwise the
// weights of one replica; staleness is counted right under a scripted interleaving
// (a worker held back while another applies), the bound holds under a slowed worker,
// the staleness-aware step divides the learning rate, a worker that becomes
// unavailable has its closures run elsewhere, and the servers' state checkpoints
// and restores through the coordinator. MPI ranks are tested by tests/mpi/.
#include "spool/distribute/parameter_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "distribute/fit_test_support.h"
#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/layers/batch_normalization.h"
#include "spool/autodiff/optim/sgd.h"
#include "spool/autodiff/tape.h"
#include "spool/distribute/detail/parameter_shard.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;

std::vector<float> weights_of(const layers::Model& model) {
  std::vector<float> out;
  for (const autodiff::Variable& v : model.trainable_variables()) {
    const Tensor t = v.unwatched_value().contiguous();
    out.insert(out.end(), t.data<float>(), t.data<float>() + t.numel());
  }
  return out;
}

ClusterCoordinator::ModelFactory blob_factory() {
  return [] { return std::make_unique<layers::Sequential>(blob_model(3, /*dropout=*/0.0)); };
}

ClusterCoordinator::OptimizerFactory adam_factory() {
  return [] { return std::make_unique<autodiff::Adam>(autodiff::AdamOptions().learning_rate(0.01)); };
}

// One step's closure: the batch's mean loss, its gradients pushed.
Tensor blob_step(WorkerContext& w, data::Iterator& it) {
  static const losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  const std::optional<data::Element> batch = it.next();
  if (!batch) throw OutOfRange("blob_step: the data ran out");
  autodiff::GradientTape tape;
  const Tensor loss = loss_fn((*batch)[1], w.model()((*batch)[0], {.training = true}));
  w.apply_gradients(tape.gradient(loss, w.model().trainable_variables()));
  return loss;
}

// `steps` Adam steps of one replica on in_order(data, 16), from blob_model(3).
std::vector<float> one_replica(const Blobs& data, int steps) {
  layers::Sequential model = blob_model(3, 0.0);
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  const losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  data::Iterator it = in_order(data, 16).make_iterator();
  for (int s = 0; s < steps; ++s) {
    const data::Element batch = *it.next();
    autodiff::GradientTape tape;
    const Tensor loss = loss_fn(batch[1], model(batch[0], {.training = true}));
    adam.apply_gradients(tape.gradient(loss, model.trainable_variables()), model.trainable_variables());
  }
  return weights_of(model);
}

TEST(ParameterServer, OneWorkerWithoutStalenessIsBitwiseOneReplica) {
  const Blobs data = blobs(16 * 12, 11);
  for (const int servers : {1, 3}) {
    ParameterServerStrategy strategy(ParameterServerOptions().workers(1).servers(servers));
    ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
    const PerWorkerDataset ds = coordinator.create_per_worker_dataset([&](const InputContext&) { return in_order(data, 16); });
    for (int s = 0; s < 12; ++s) coordinator.schedule(blob_step, ds);
    coordinator.join();
    EXPECT_EQ(coordinator.version(), 12);
    EXPECT_EQ(coordinator.staleness().count(0), 12);
    EXPECT_EQ(weights_of(coordinator.model()), one_replica(data, 12)) << servers << " servers";
  }
}

TEST(ParameterServer, CountsStalenessUnderAScriptedInterleaving) {
  // Worker 1 reads at version 0 and holds its gradient until worker 0 has applied
  // three updates: its update is 3 versions stale, worker 0's are fresh.
  const Blobs data = blobs(16 * 8, 5);
  ParameterServerStrategy strategy(ParameterServerOptions().workers(2));
  ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
  const PerWorkerDataset ds = coordinator.create_per_worker_dataset([&](const InputContext& ctx) {
    return in_order(data, 16).shard(ctx.num_input_pipelines, ctx.input_pipeline_id);
  });
  std::atomic<bool> slow_has_read{false};
  std::atomic<int> fast_applied{0};
  std::vector<std::int64_t> seen;  // worker 1's (version read, staleness)
  const WorkerFn step = [&](WorkerContext& w, data::Iterator& it) {
    if (w.worker_index() == 1) {
      slow_has_read = true;
      while (fast_applied.load() < 3) std::this_thread::yield();
      seen.push_back(w.version());
      const Tensor loss = blob_step(w, it);
      return loss;
    }
    while (!slow_has_read.load()) std::this_thread::yield();
    const Tensor loss = blob_step(w, it);
    ++fast_applied;
    return loss;
  };
  std::vector<RemoteValue> values;
  for (int s = 0; s < 4; ++s) values.push_back(coordinator.schedule(step, ds));
  coordinator.join();
  for (const RemoteValue& v : values) EXPECT_TRUE(std::isfinite(v.fetch().item_as_double()));
  EXPECT_EQ(seen, std::vector<std::int64_t>{0});
  EXPECT_EQ(coordinator.version(), 4);
  const StalenessHistogram h = coordinator.staleness();
  EXPECT_EQ(h.counts(), (std::vector<std::int64_t>{3, 0, 0, 1})) << h.describe();
  EXPECT_EQ(coordinator.completed_per_worker(), (std::vector<std::int64_t>{3, 1}));
}

TEST(ParameterServer, TheBoundHoldsWithASlowWorker) {
  const Blobs data = blobs(16 * 40, 7);
  for (const int bound : {1, 2}) {
    ParameterServerStrategy strategy(
        ParameterServerOptions().workers(3).max_staleness(bound).slow_worker(2, 5.0));
    ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
    const PerWorkerDataset ds = coordinator.create_per_worker_dataset([&](const InputContext& ctx) {
      return in_order(data, 16).shard(ctx.num_input_pipelines, ctx.input_pipeline_id).repeat();
    });
    // Every step computes for a millisecond; worker 2's for five (slow_worker).
    const WorkerFn step = [](WorkerContext& w, data::Iterator& it) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return blob_step(w, it);
    };
    for (int s = 0; s < 60; ++s) coordinator.schedule(step, ds);
    coordinator.join();
    const StalenessHistogram h = coordinator.staleness();
    EXPECT_EQ(h.total(), 60);
    EXPECT_LE(h.max(), bound) << h.describe();
    EXPECT_GT(h.count(bound), 0) << "the bound was never reached: " << h.describe();
  }
}

TEST(StalenessGate, AdmitsOldestFirstAndKeepsEveryReaderWithinTheBound) {
  StalenessGate gate(3, 1);
  EXPECT_EQ(gate.begin_read(0), 0);
  EXPECT_EQ(gate.begin_read(1), 0);
  EXPECT_FALSE(gate.can_read(2)) << "a third reader at version 0 would land at staleness 2";
  EXPECT_EQ(gate.begin_apply(1), 0);
  EXPECT_FALSE(gate.can_read(2)) << "no read while an apply runs";
  gate.end_apply();
  EXPECT_EQ(gate.begin_read(2), 1) << "worker 0 (read 0) then worker 2 (read 1) can both land at staleness 1";
  EXPECT_FALSE(gate.can_apply(2)) << "before worker 0 applies, it would make worker 0's update 2 stale";
  EXPECT_FALSE(gate.can_read(1)) << "three readers again";
  EXPECT_EQ(gate.begin_apply(0), 1);
  gate.end_apply();
  EXPECT_EQ(gate.begin_apply(2), 1);
  gate.end_apply();
  EXPECT_EQ(gate.begin_read(2), 3);
  EXPECT_EQ(gate.begin_read(1), 3);
  gate.withdraw(1);
  EXPECT_EQ(gate.begin_read(0), 3);
  EXPECT_EQ(gate.version(), 3);

  StalenessGate unbounded(2, std::nullopt);
  unbounded.begin_read(0);
  unbounded.begin_read(1);
  for (int i = 0; i < 5; ++i) {
    unbounded.begin_apply(0);
    unbounded.end_apply();
    unbounded.begin_read(0);
  }
  EXPECT_EQ(unbounded.begin_apply(1), 5);
  EXPECT_THROW(StalenessGate(2, -1), InvalidArgument);
  EXPECT_THROW(unbounded.begin_apply(1), InvalidArgument);  // no read since its apply
}

TEST(ParameterShard, TheStalenessAwareStepDividesTheLearningRate) {
  const std::vector<float> start{1.0f, 2.0f}, gradient{1.0f, -2.0f};
  const detail::OptimizerFactory sgd = [] {
    return std::make_unique<autodiff::SGD>(autodiff::SGDOptions().learning_rate(0.5));
  };
  detail::ParameterShard aware(0, start, sgd, /*scale_learning_rate=*/true);
  detail::ParameterShard plain(0, start, sgd, false);
  for (detail::ParameterShard* shard : {&aware, &plain}) {
    shard->set_version(3);
    EXPECT_EQ(shard->apply(gradient, 0), 3);
  }
  EXPECT_FLOAT_EQ(aware.weights()[0], 1.0f - 0.5f / 4 * 1.0f);
  EXPECT_FLOAT_EQ(aware.weights()[1], 2.0f + 0.5f / 4 * 2.0f);
  EXPECT_FLOAT_EQ(plain.weights()[0], 0.5f);
  EXPECT_EQ(aware.histogram().count(3), 1);
  EXPECT_EQ(aware.version(), 4);
  EXPECT_THROW(aware.apply(gradient, 5), InvalidArgument);  // from the future
}

TEST(ParameterServer, AnUnavailableWorkersClosuresRunElsewhere) {
  const Blobs data = blobs(16 * 10, 5);
  ParameterServerStrategy strategy(ParameterServerOptions().workers(2));
  ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
  const PerWorkerDataset ds = coordinator.create_per_worker_dataset([&](const InputContext& ctx) {
    return in_order(data, 16).shard(ctx.num_input_pipelines, ctx.input_pipeline_id).repeat();
  });
  std::atomic<int> lost{0};
  const WorkerFn step = [&](WorkerContext& w, data::Iterator& it) {
    if (w.worker_index() == 1) {
      ++lost;
      throw Unavailable("worker 1 is gone");
    }
    return blob_step(w, it);
  };
  std::vector<RemoteValue> values;
  for (int s = 0; s < 10; ++s) values.push_back(coordinator.schedule(step, ds));
  coordinator.join();
  for (const RemoteValue& v : values) EXPECT_TRUE(v.ready());
  EXPECT_LE(lost.load(), 1);
  EXPECT_EQ(coordinator.completed_per_worker(), (std::vector<std::int64_t>{10, 0}));
  EXPECT_EQ(coordinator.version(), 10);

  // With no worker left, join says so.
  ParameterServerStrategy alone(ParameterServerOptions().workers(1));
  ClusterCoordinator doomed(alone, blob_factory(), adam_factory());
  const PerWorkerDataset ds1 = doomed.create_per_worker_dataset([&](const InputContext&) { return in_order(data, 16); });
  const RemoteValue v = doomed.schedule([](WorkerContext&, data::Iterator&) -> Tensor { throw Unavailable("gone"); }, ds1);
  EXPECT_THROW(doomed.join(), Unavailable);
  EXPECT_THROW(v.fetch(), Unavailable);
}

TEST(ParameterServer, AClosuresErrorReachesJoinAfterTheOthersRan) {
  const Blobs data = blobs(16 * 6, 5);
  ParameterServerStrategy strategy(ParameterServerOptions().workers(2));
  ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
  const PerWorkerDataset ds = coordinator.create_per_worker_dataset([&](const InputContext& ctx) {
    return in_order(data, 16).shard(ctx.num_input_pipelines, ctx.input_pipeline_id).repeat();
  });
  const RemoteValue bad =
      coordinator.schedule([](WorkerContext&, data::Iterator&) -> Tensor { throw InvalidArgument("bad closure"); }, ds);
  for (int s = 0; s < 4; ++s) coordinator.schedule(blob_step, ds);
  EXPECT_THROW(coordinator.join(), InvalidArgument);
  EXPECT_THROW(bad.fetch(), InvalidArgument);
  EXPECT_EQ(coordinator.version(), 4);
  coordinator.join();  // the error was reported once
}

TEST(ParameterServer, DestroyingTheCoordinatorCancelsWhatHasNotStarted) {
  const Blobs data = blobs(16 * 4, 5);
  std::vector<RemoteValue> values;
  {
    ParameterServerStrategy strategy(ParameterServerOptions().workers(1));
    ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
    const PerWorkerDataset ds = coordinator.create_per_worker_dataset([&](const InputContext&) { return in_order(data, 16); });
    const WorkerFn slow = [](WorkerContext& w, data::Iterator& it) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return blob_step(w, it);
    };
    for (int s = 0; s < 4; ++s) values.push_back(coordinator.schedule(slow, ds));
  }
  for (const RemoteValue& v : values) EXPECT_TRUE(v.ready());
  EXPECT_THROW(values.back().fetch(), Cancelled);
}

TEST(ParameterServer, CheckpointsRestoreIntoAnyStrategy) {
  // 4 steps on servers, a checkpoint, 4 more on new servers restored from it: the
  // weights of 8 steps of one replica, bitwise (one worker: no staleness).
  const Blobs data = blobs(16 * 8, 13);
  const std::string dir = (std::filesystem::temp_directory_path() / "spool_ps_checkpoint").string();
  std::filesystem::remove_all(dir);
  const auto half = [&](int first_step, bool restore) {
    ParameterServerStrategy strategy(ParameterServerOptions().workers(1).servers(2));
    ClusterCoordinator coordinator(strategy, blob_factory(), adam_factory());
    if (restore) {
      autodiff::restore_checkpoint(dir, coordinator.model().variables(), &coordinator.optimizer());
      coordinator.load_servers();
      EXPECT_EQ(coordinator.version(), 4);
    }
    const PerWorkerDataset ds = coordinator.create_per_worker_dataset(
        [&](const InputContext&) { return in_order(data, 16).skip(first_step); });
    for (int s = 0; s < 4; ++s) coordinator.schedule(blob_step, ds);
    coordinator.join();
    autodiff::save_checkpoint(dir, coordinator.model().variables(), &coordinator.optimizer(), {});
    return weights_of(coordinator.model());
  };
  half(0, false);
  EXPECT_EQ(half(4, true), one_replica(data, 8));

  // The same checkpoint is a plain one: a model with an optimizer of its own reads it.
  layers::Sequential model = blob_model(1, 0.0);
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  autodiff::restore_checkpoint(dir, model.variables(), &adam);
  EXPECT_EQ(weights_of(model), one_replica(data, 8));
  EXPECT_EQ(adam.iterations(), 8);
  std::filesystem::remove_all(dir);
}

TEST(ParameterServer, RefusesWhatServersCannotHold) {
  EXPECT_THROW(ParameterServerStrategy(ParameterServerOptions().workers(0)), InvalidArgument);
  EXPECT_THROW(ParameterServerStrategy(ParameterServerOptions().servers(0)), InvalidArgument);
  EXPECT_THROW(ParameterServerStrategy(ParameterServerOptions().max_staleness(-1)), InvalidArgument);
  EXPECT_THROW(ParameterServerStrategy(ParameterServerOptions().slow_worker(0, 0.5)), InvalidArgument);
  ParameterServerStrategy strategy(ParameterServerOptions().workers(1));
  EXPECT_THROW(ClusterCoordinator(strategy, blob_factory(),
                                  [] {
                                    return std::make_unique<autodiff::Adam>(
                                        autodiff::AdamOptions().learning_rate(0.01).global_clipnorm(1));
                                  }),
               InvalidArgument);
  const auto with_batch_norm = [] {
    auto model = std::make_unique<layers::Sequential>("bn");
    model->add(layers::Dense(layers::DenseOptions(4))).add(layers::BatchNormalization());
    model->build(Shape{kFeatures}, 1);
    return model;
  };
  try {
    ClusterCoordinator coordinator(strategy, with_batch_norm, adam_factory());
    ADD_FAILURE() << "a model with moving statistics was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("not trainable"), std::string::npos) << e.what();
  }
  EXPECT_EQ(strategy.describe(), "ParameterServerStrategy: 1 worker (threads), 1 server in memory, asynchronous");
}

}  // namespace
}  // namespace spool::distribute
