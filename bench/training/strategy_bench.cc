// MirroredStrategy(2) beside one replica, the same training steps in the same
// iteration (Trainer::train_step on in-memory Fashion-MNIST, the zoo models of
// `spool train`, Adam):
//   replicas/<model>   an iteration trains a block of 2048 examples three ways —
//                      one replica on one core, one replica with 2 kernel threads
//                      (the process pool's fork-join per op), and Mirrored(2): two
//                      replica threads of one kernel thread each, gradients summed.
// Counters: mirrored_vs_one_core = one-core time / Mirrored time (the scaling of 2
// replicas on 2 cores), mirrored_vs_two_threads = 2-thread time / Mirrored time (> 1:
// replicas beat splitting every op), and the examples/s of each. The time column is
// Mirrored's. Needs 2 cores to say anything.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "spool/autodiff/layers/model_zoo.h"
#include "spool/autodiff/losses.h"
#include "spool/autodiff/optim/adam.h"
#include "spool/data/image/color.h"
#include "spool/data/image/idx.h"
#include "spool/distribute/fit.h"
#include "spool/distribute/strategy.h"
#include "spool/tensor/thread_pool.h"

namespace spool {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kExamples = 4096;
constexpr std::int64_t kBlock = 2048;

// One model trained under one strategy, and the threads its block runs with.
struct Run {
  Run(const std::string& kind, distribute::Strategy& strategy, int pool_threads)
      : scope(strategy.scope()),
        model(layers::zoo_model(kind, Shape{28, 28, 1}, 10, 42)),
        adam(autodiff::AdamOptions().learning_rate(1e-3)),
        loss(losses::LossOptions().from_logits(true)),
        trainer(model, loss, adam, {"accuracy"}),
        threads(pool_threads) {}
  distribute::Strategy::Scope scope;
  layers::Sequential model;
  autodiff::Adam adam;
  losses::SparseCategoricalCrossentropy loss;
  distribute::Trainer trainer;
  int threads;
};

void bm_replicas(benchmark::State& state, const std::string& kind) {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir / "train-images-idx3-ubyte.gz")) {
    state.SkipWithError("no Fashion-MNIST in /usr/share/datasets/fashion-mnist");
    for (auto _ : state) {
    }
    return;
  }
  const std::int64_t batch = kind == "cnn" ? 64 : 32;
  const Tensor images =
      data::convert_dtype(data::read_idx((dir / "train-images-idx3-ubyte.gz").string()).narrow(0, 0, kExamples),
                          DType::kF32)
          .reshape({kExamples, 28, 28, 1});
  const Tensor labels =
      data::read_idx((dir / "train-labels-idx1-ubyte.gz").string()).narrow(0, 0, kExamples).cast(DType::kI64);
  std::vector<Tensor> xs, ys;
  for (std::int64_t b = 0; b < kExamples / batch; ++b) {
    xs.push_back(images.narrow(0, b * batch, batch));
    ys.push_back(labels.narrow(0, b * batch, batch).contiguous());
  }

  set_num_threads(2);  // Mirrored's replicas take one kernel thread each from it
  distribute::OneDeviceStrategy one;
  distribute::MirroredStrategy mirrored(2);
  std::vector<std::unique_ptr<Run>> runs;
  runs.push_back(std::make_unique<Run>(kind, one, 1));
  runs.push_back(std::make_unique<Run>(kind, one, 2));
  runs.push_back(std::make_unique<Run>(kind, mirrored, 2));
  std::vector<double> seconds(runs.size(), 0.0);
  std::int64_t next = 0;
  auto block = [&](Run& run) {
    set_num_threads(run.threads);
    const auto t0 = Clock::now();
    for (std::int64_t s = 0; s < kBlock / batch; ++s, next = (next + 1) % static_cast<std::int64_t>(xs.size())) {
      benchmark::DoNotOptimize(run.trainer.train_step(xs[next], ys[next]));
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (auto& run : runs) block(*run);  // warm-up: slots, pools, replica threads
  for (auto _ : state) {
    seconds[0] += block(*runs[0]);
    seconds[1] += block(*runs[1]);
    const double mirrored_seconds = block(*runs[2]);
    seconds[2] += mirrored_seconds;
    state.SetIterationTime(mirrored_seconds);
  }
  const double examples = static_cast<double>(kBlock) * static_cast<double>(state.iterations());
  state.counters["one_core_ex_per_s"] = examples / seconds[0];
  state.counters["two_threads_ex_per_s"] = examples / seconds[1];
  state.counters["mirrored2_ex_per_s"] = examples / seconds[2];
  state.counters["mirrored_vs_one_core"] = seconds[0] / seconds[2];
  state.counters["mirrored_vs_two_threads"] = seconds[1] / seconds[2];
  state.SetItemsProcessed(static_cast<std::int64_t>(examples));
}

BENCHMARK_CAPTURE(bm_replicas, cnn, std::string("cnn"))
    ->Name("replicas/cnn")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(5.0);
BENCHMARK_CAPTURE(bm_replicas, mlp, std::string("mlp"))
    ->Name("replicas/mlp")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0);

}  // namespace
}  // namespace spool
