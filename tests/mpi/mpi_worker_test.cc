// The multi-worker scenarios, one per run of this program under
// `mpirun -np 2 mpi_worker_test SCENARIO [DIR]` (tests/mpi/CMakeLists.txt starts them).
// Each worker checks what it can see and exits 1 with a message on a failed check;
// the failure scenarios end the job on purpose and tests/mpi/expect_failure.cmake
// checks that mpirun ends every worker, in time, naming the rank and the cause.
//   train        a custom loop and Trainer::fit on 2 workers: weights bitwise equal on
//                both ranks and (to float rounding) equal to one replica's with the
//                same global batch, for the blobs MLP and the Fashion-MNIST CNN; again
//                with 2 replicas per worker (4 in sync)
//   uneven       per-worker pipelines of 5 and 3 batches: every tail policy runs the
//                same steps on both workers and counts the rows right
//   shard        FILE and DATA auto-sharding over 5 files of uneven length: every record
//                seen exactly once across the workers per epoch
//   checkpoint   a checkpoint written by 2 workers resumes on 1 replica and on 2
//                (Mirrored) and reaches the 2-worker run's weights
//   throw DIR    worker 1's step throws at step 3 (expected to end the job)
//   kill         worker 1 SIGKILLs itself at step 3 (expected to end the job)
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "mpi_test_support.h"
#include "spool/spool.h"

namespace {

using namespace spool;
using distribute::DistributedBatch;
using distribute::PerReplica;
using distribute::ReduceOp;
using distribute::ReplicaContext;
using distribute::Strategy;
using mpi_testing::blob_model;
using mpi_testing::blobs;
using mpi_testing::failures;

std::vector<float> weights_of(const layers::Model& model) {
  const Tensor flat = model.arena().flat().contiguous();
  return {flat.data<float>(), flat.data<float>() + flat.numel()};
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
  return worst;
}

// Rank 0's weights on every rank: equal bytes means bitwise equal weights.
void expect_same_on_every_rank(Strategy& strategy, const std::vector<float>& w, const std::string& what) {
  std::string mine(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
  std::string first = mine;
  strategy.workers().broadcast(first);
  CHECK_THAT(first == mine, what << ": the weights differ from rank 0's");
}

// A custom loop (the step written for one replica) over `batches` under `strategy`.
std::vector<float> custom_loop(Strategy& strategy, layers::Model& model, const data::Dataset& batches) {
  const auto scope = strategy.scope();
  strategy.broadcast_variables(model.variables());
  losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  autodiff::SGD sgd(autodiff::SGDOptions().learning_rate(0.05).momentum(0.9));
  const std::vector<autodiff::Variable> vars = model.trainable_variables();
  for (const DistributedBatch& batch : strategy.distribute(batches)) {
    const PerReplica losses = strategy.run(
        [&](const ReplicaContext& ctx, const data::Element& part) {
          autodiff::GradientTape tape;
          const Tensor per_example = loss_fn.per_example(part[1], model(part[0], {.training = true}));
          const Tensor loss = losses::compute_average_loss(per_example, ctx.global_batch_size());
          sgd.apply_gradients(tape.gradient(loss, vars), vars);
          return loss;
        },
        batch);
    const double loss = strategy.reduce(ReduceOp::kSum, losses).item_as_double();
    CHECK_THAT(std::isfinite(loss), "loss " << loss);
  }
  return weights_of(model);
}

void scenario_train(Strategy& two_workers, Strategy& four_replicas) {
  const auto [x, y] = blobs(48 * 40);
  const data::Dataset ds = data::Dataset::from_tensor_slices({x, y}).batch(48);
  distribute::OneDeviceStrategy one;
  layers::Sequential m1 = blob_model(), m2 = blob_model(), m4 = blob_model();
  const std::vector<float> w1 = custom_loop(one, m1, ds);
  const std::vector<float> w2 = custom_loop(two_workers, m2, ds);
  const std::vector<float> w4 = custom_loop(four_replicas, m4, ds);
  expect_same_on_every_rank(two_workers, w2, "custom loop, 2 workers");
  expect_same_on_every_rank(two_workers, w4, "custom loop, 2 workers x 2 replicas");
  // Float sums in another order: the weights (~1) agree to ~1e-5 after 40 momentum steps.
  CHECK_THAT(max_abs_difference(w1, w2) < 1e-4, "2 workers vs one replica: " << max_abs_difference(w1, w2));
  CHECK_THAT(max_abs_difference(w1, w4) < 1e-4, "4 replicas vs one replica: " << max_abs_difference(w1, w4));
  CHECK_THAT(max_abs_difference(w1, weights_of(blob_model())) > 0.1, "the loop trained nothing");

  // The Fashion-MNIST CNN through Trainer::fit: 32 steps of global batch 64.
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "train-images-idx3-ubyte.gz")) {
    std::cout << "rank " << mpi_testing::rank << ": no Fashion-MNIST; CNN part skipped\n";
    return;
  }
  const Tensor images = data::convert_dtype(data::read_idx(dir + "train-images-idx3-ubyte.gz").narrow(0, 0, 2048),
                                            DType::kF32)
                            .reshape({2048, 28, 28, 1});
  const Tensor labels = data::read_idx(dir + "train-labels-idx1-ubyte.gz").narrow(0, 0, 2048).cast(DType::kI64);
  const data::Dataset fm = data::Dataset::from_tensor_slices({images, labels}).batch(64);
  auto fit = [&](Strategy& strategy) {
    const auto scope = strategy.scope();
    layers::Sequential model = layers::zoo_model("cnn", Shape{28, 28, 1}, 10, 42);
    losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
    autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3));
    distribute::Trainer trainer(model, loss, adam, {"accuracy"});
    const distribute::History h =
        trainer.fit(fm, distribute::FitOptions().epochs(1).progress(distribute::ProgressBar::Mode::kSilent));
    return std::make_pair(weights_of(model), h.epochs.back().value("accuracy"));
  };
  const auto [c1, a1] = fit(one);
  const auto [c2, a2] = fit(two_workers);
  expect_same_on_every_rank(two_workers, c2, "CNN fit, 2 workers");
  // Adam divides by sqrt(v): rounding differences grow more than SGD's; 1e-3 on weights of ~0.1.
  CHECK_THAT(max_abs_difference(c1, c2) < 1e-3, "CNN: 2 workers vs one replica: " << max_abs_difference(c1, c2));
  CHECK_THAT(std::abs(a1 - a2) < 0.01, "CNN accuracy " << a1 << " vs " << a2);
  std::cout << "rank " << mpi_testing::rank << ": CNN max |w1 - w2| = " << max_abs_difference(c1, c2) << ", accuracy " << a2
            << "\n";
}

// Worker 0 reads 5 batches of 4 rows, worker 1 reads 3 (the second-last of 2 rows).
void scenario_uneven(Strategy& strategy) {
  auto fn = [](const distribute::InputContext& ctx) {
    const std::int64_t rows = ctx.input_pipeline_id == 0 ? 20 : 10;
    return data::Dataset::from_tensor_slices({Tensor::arange(0, static_cast<double>(rows), 1, DType::kF32)}).batch(4);
  };
  for (auto tail : {distribute::TailPolicy::kPartial, distribute::TailPolicy::kPad, distribute::TailPolicy::kDrop}) {
    int steps = 0;
    std::vector<std::int64_t> examples;
    for (const DistributedBatch& b : strategy.distribute_from_function(fn, tail)) {
      // A collective per step, as a training step has: a worker that stopped early would hang here.
      const PerReplica ones = strategy.run(
          [](const ReplicaContext& ctx, const data::Element&) {
            return ctx.all_reduce(ReduceOp::kSum, {Tensor::scalar<float>(1)})[0];
          },
          b);
      CHECK_THAT(ones.values[0].item<float>() == 2.0f, "all_reduce gave " << ones.values[0].item<float>());
      examples.push_back(b.global_examples);
      ++steps;
    }
    const std::vector<std::int64_t> want = tail == distribute::TailPolicy::kDrop
                                               ? std::vector<std::int64_t>{8, 8}
                                               : std::vector<std::int64_t>{8, 8, 6, 4, 4};
    CHECK_THAT(examples == want, "tail policy " << static_cast<int>(tail) << ": " << steps << " steps");
  }
}

// Record i of file f: 8 bytes, "r<f>-<i, 5 digits>".
std::string record_name(int f, int i) {
  std::string digits = std::to_string(i);
  return "r" + std::to_string(f) + "-" + std::string(5 - digits.size(), '0') + digits;
}

// 5 files of 3, 1, 4, 2 and 5 records.
std::vector<std::string> write_files(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> files;
  const int lengths[] = {3, 1, 4, 2, 5};
  for (int f = 0; f < 5; ++f) {
    files.push_back((dir / ("part-" + std::to_string(f) + ".tfrecord")).string());
    data::TFRecordWriter writer(files.back());
    for (int i = 0; i < lengths[f]; ++i) writer.write(record_name(f, i));
    writer.close();
  }
  return files;
}

void scenario_shard(Strategy& strategy) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("spool-mpi-shard-" + std::to_string(getppid()) + "-" +
                                                std::to_string(mpi_testing::rank));
  const std::vector<std::string> files = write_files(dir);
  for (auto policy : {data::AutoShardPolicy::kFile, data::AutoShardPolicy::kData}) {
    const data::Dataset ds =
        policy == data::AutoShardPolicy::kFile ? data::TFRecordDataset(files) : data::TFRecordDataset({files[4]});
    const auto dds = strategy.distribute(ds.batch(2), distribute::DistributeOptions().auto_shard(policy));
    // Counts of every record this worker saw, summed over the workers: each exactly 1.
    std::map<std::string, int> index;
    const int lengths[] = {3, 1, 4, 2, 5};
    for (int f = 0; f < 5; ++f)
      for (int i = 0; i < lengths[f]; ++i) index[record_name(f, i)] = static_cast<int>(index.size());
    std::vector<double> seen(index.size(), 0.0);
    for (const DistributedBatch& b : dds) {
      for (const data::Element& part : b.parts) {
        if (part.empty()) continue;
        for (std::int64_t r = 0; r < part[0].dim(0); ++r) {
          const Tensor row = part[0].select(0, r).contiguous();
          const std::string key(reinterpret_cast<const char*>(row.raw_data()), 8);
          CHECK_THAT(index.count(key) == 1, "unknown record " << key);
          seen[static_cast<std::size_t>(index[key])] += 1;
        }
      }
    }
    strategy.workers().all_reduce_sum(std::span<double>(seen));
    const bool file = policy == data::AutoShardPolicy::kFile;
    int wrong = 0;
    for (const auto& [key, i] : index) {
      const double want = file || key.rfind("r4-", 0) == 0 ? 1.0 : 0.0;
      if (seen[static_cast<std::size_t>(i)] != want) ++wrong;
    }
    CHECK_THAT(wrong == 0, dds.sharding() << ": " << wrong << " records not seen exactly once");
    CHECK_THAT(dds.sharding().rfind(file ? "FILE" : "DATA", 0) == 0, "sharding says " << dds.sharding());
  }
  std::filesystem::remove_all(dir);
}

void scenario_checkpoint(Strategy& two_workers) {
  const auto [x, y] = blobs(300);
  const data::Dataset ds =
      data::Dataset::from_tensor_slices({x, y}).shuffle(300, 9).batch(32);  // the last batch is short
  const std::filesystem::path base =
      std::filesystem::temp_directory_path() / ("spool-mpi-ckpt-" + std::to_string(getppid()));
  const std::string at_two = (base / "epoch2").string();
  auto trainer_run = [&](Strategy& strategy, int epochs, const std::optional<std::string>& resume,
                         bool checkpoint) {
    const auto scope = strategy.scope();
    layers::Sequential model = blob_model();
    losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
    autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
    distribute::Trainer trainer(model, loss, adam, {"accuracy"});
    distribute::FitOptions options;
    options.epochs(epochs).seed(4).progress(distribute::ProgressBar::Mode::kSilent);
    if (checkpoint) options.callback(std::make_shared<distribute::ModelCheckpoint>(at_two));
    if (resume) options.resume_from(autodiff::restore_checkpoint(*resume, model.variables(), &adam));
    trainer.fit(ds, options);
    return weights_of(model);
  };
  trainer_run(two_workers, 2, std::nullopt, true);  // worker 0 writes the checkpoint at epoch 2
  two_workers.workers().barrier();
  const std::vector<float> continued = trainer_run(two_workers, 3, at_two, false);
  expect_same_on_every_rank(two_workers, continued, "resumed on 2 workers");
  if (mpi_testing::rank == 0) {
    distribute::OneDeviceStrategy one;
    distribute::MirroredStrategy mirrored(2);
    const std::vector<float> on_one = trainer_run(one, 3, at_two, false);
    const std::vector<float> on_mirrored = trainer_run(mirrored, 3, at_two, false);
    CHECK_THAT(max_abs_difference(on_one, continued) < 1e-4, "resumed on 1 replica: " << max_abs_difference(on_one, continued));
    CHECK_THAT(max_abs_difference(on_mirrored, continued) < 1e-4,
               "resumed on 2 replicas: " << max_abs_difference(on_mirrored, continued));
    std::filesystem::remove_all(base);
  }
}

// Worker 1 fails at step 3 (an exception, or SIGKILL); worker 0 would wait forever in
// the step's all-reduce if nothing ended the job.
void scenario_failure(Strategy& strategy, bool kill) {
  const auto [x, y] = blobs(48 * 20);
  layers::Sequential model = blob_model();
  losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  autodiff::SGD sgd;
  const std::vector<autodiff::Variable> vars = model.trainable_variables();
  int step = 0;
  for (const DistributedBatch& batch : strategy.distribute(data::Dataset::from_tensor_slices({x, y}).batch(48))) {
    strategy.run(
        [&](const ReplicaContext& ctx, const data::Element& part) {
          if (ctx.replica_id_in_sync_group() == 1 && step == 3) {
            if (kill) raise(SIGKILL);
            SPOOL_THROW(InvalidArgument, "a bad step on purpose");
          }
          autodiff::GradientTape tape;
          const Tensor loss = losses::compute_average_loss(
              loss_fn.per_example(part[1], model(part[0], {.training = true})), ctx.global_batch_size());
          sgd.apply_gradients(tape.gradient(loss, vars), vars);
          return loss;
        },
        batch);
    ++step;
  }
  std::cerr << "rank " << mpi_testing::rank << ": the failure scenario ran to its end\n";
  ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: mpirun -np 2 mpi_worker_test train|uneven|shard|checkpoint|throw|kill\n";
    return 2;
  }
  const std::string scenario = argv[1];
  distribute::MultiWorkerMirroredStrategy two_workers;
  mpi_testing::rank = two_workers.worker_rank();
  if (two_workers.workers().size() != 2) {
    std::cerr << "run under mpirun -np 2\n";
    return 2;
  }
  try {
    if (scenario == "train") {
      distribute::MultiWorkerMirroredStrategy four_replicas(2);
      scenario_train(two_workers, four_replicas);
    } else if (scenario == "uneven") {
      scenario_uneven(two_workers);
    } else if (scenario == "shard") {
      scenario_shard(two_workers);
    } else if (scenario == "checkpoint") {
      scenario_checkpoint(two_workers);
    } else if (scenario == "throw" || scenario == "kill") {
      scenario_failure(two_workers, scenario == "kill");
    } else {
      std::cerr << "unknown scenario " << scenario << "\n";
      return 2;
    }
  } catch (const std::exception& e) {
    // The other worker waits in a collective this one will not enter: end the job, as
    // an application does (strategy.h), naming this worker and the cause.
    two_workers.workers().abort_job(e.what());
  }
  if (failures == 0) std::cout << "rank " << mpi_testing::rank << ": " << scenario << " ok\n";
  return failures == 0 ? 0 : 1;
}
