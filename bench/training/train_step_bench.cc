// Whole training steps (forward + backward + Adam, as Trainer::train_step runs them) on
// in-memory Fashion-MNIST batches, Spool next to the same model written with libtorch's
// C++ API in the same iteration:
//   train_step/mlp/threads:<T>   Flatten-Dense(128, relu)-Dense(10), batch 32
//   train_step/cnn/threads:<T>   Conv2D(32, 3×3, relu)-MaxPool2-Conv2D(64, 3×3, relu)-
//                                MaxPool2-Flatten-Dense(128, relu)-Dense(10), batch 64
// The Spool models are layers::zoo_model's, as `spool train` builds them. Both sides:
// Adam lr 1e-3 (epsilon 1e-7, Keras' default), sparse categorical cross-entropy from
// logits, the batch's accuracy counted, the loss read back as a double. The data: the
// first 8192 training images scaled to f32 [0, 1], cut into batches before timing; an
// iteration runs a block of 2048 examples (64 MLP steps, 32 CNN steps) on Spool, then
// the same block on libtorch. Blocks, not single steps, so that the threads one side
// leaves spinning after its last kernel do not eat into the other side's time (2 cores).
// Counters: spool_ex_per_s, libtorch_ex_per_s, and spool_vs_libtorch = libtorch time /
// Spool time (> 1: Spool is faster). Without libtorch only the Spool counter is set.
// The time column is Spool's (manual time).
//
// Debian's libtorch runs its GEMMs on the reference BLAS unless OpenBLAS is preloaded;
// bench/training/train_compare.sh sets that up, or by hand (one command line):
//   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=1
//     OPENBLAS_NUM_THREADS=1 build/bench/bench_training --benchmark_filter='train_step/.*/threads:1/'
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "spool/autodiff/layers/model_zoo.h"
#include "spool/autodiff/losses.h"
#include "spool/autodiff/optim/adam.h"
#include "spool/data/image/color.h"
#include "spool/data/image/idx.h"
#include "spool/distribute/fit.h"
#include "spool/tensor/thread_pool.h"

#if SPOOL_BENCH_HAVE_LIBTORCH
#include <ATen/Parallel.h>
#include <torch/torch.h>
#endif

namespace spool {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kExamples = 8192;  // kept in memory, in batches
constexpr std::int64_t kBlock = 2048;     // examples per side per iteration
constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

// The first kExamples training images as f32 [N, 28, 28, 1] in [0, 1] and their
// labels as i64 [N]; nullopt without the data set.
const std::optional<std::pair<Tensor, Tensor>>& fashion_mnist() {
  static const std::optional<std::pair<Tensor, Tensor>> data = []() -> std::optional<std::pair<Tensor, Tensor>> {
    const std::filesystem::path dir = kFashionDir;
    const auto images_path = dir / "train-images-idx3-ubyte.gz", labels_path = dir / "train-labels-idx1-ubyte.gz";
    if (!std::filesystem::exists(images_path) || !std::filesystem::exists(labels_path)) return std::nullopt;
    const Tensor u8 = data::read_idx(images_path.string()).narrow(0, 0, kExamples);
    const Tensor images = data::convert_dtype(u8, DType::kF32).reshape({kExamples, 28, 28, 1});
    const Tensor labels = data::read_idx(labels_path.string()).narrow(0, 0, kExamples).cast(DType::kI64);
    return std::make_pair(images, labels.contiguous());
  }();
  return data;
}

#if SPOOL_BENCH_HAVE_LIBTORCH
// NCHW with one channel is NHWC's memory: the same floats, viewed.
torch::nn::Sequential torch_model(bool cnn) {
  namespace nn = torch::nn;
  nn::Sequential model;
  if (cnn) {
    model->push_back(nn::Conv2d(nn::Conv2dOptions(1, 32, 3)));
    model->push_back(nn::ReLU());
    model->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    model->push_back(nn::Conv2d(nn::Conv2dOptions(32, 64, 3)));
    model->push_back(nn::ReLU());
    model->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  }
  model->push_back(nn::Flatten());
  model->push_back(nn::Linear(cnn ? 64 * 5 * 5 : 28 * 28, 128));
  model->push_back(nn::ReLU());
  model->push_back(nn::Linear(128, 10));
  return model;
}
#endif

void bm_train_step(benchmark::State& state, bool cnn) {
  const int threads = static_cast<int>(state.range(0));
  const std::int64_t batch = cnn ? 64 : 32;
  const std::int64_t steps = kBlock / batch, batches = kExamples / batch;
  const auto& data = fashion_mnist();
  if (!data) {
    state.SkipWithError("no Fashion-MNIST in /usr/share/datasets/fashion-mnist");
    for (auto _ : state) {
    }
    return;
  }
  std::vector<Tensor> xs, ys;
  for (std::int64_t b = 0; b < batches; ++b) {
    xs.push_back(data->first.narrow(0, b * batch, batch));
    ys.push_back(data->second.narrow(0, b * batch, batch));
  }

  set_num_threads(threads);
  layers::Sequential model = layers::zoo_model(cnn ? "cnn" : "mlp", Shape{28, 28, 1}, 10, /*seed=*/42);
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(1e-3));
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  distribute::Trainer trainer(model, loss, adam, {"accuracy"});
  std::int64_t next = 0;
  const auto spool_block = [&] {
    for (std::int64_t s = 0; s < steps; ++s, next = (next + 1) % batches) {
      benchmark::DoNotOptimize(trainer.train_step(xs[next], ys[next]));
    }
  };
  // The same step in graph mode, on a model of its own.
  layers::Sequential graph_model = layers::zoo_model(cnn ? "cnn" : "mlp", Shape{28, 28, 1}, 10, /*seed=*/42);
  autodiff::Adam graph_adam(autodiff::AdamOptions().learning_rate(1e-3));
  distribute::Trainer graph_trainer(graph_model, loss, graph_adam, {"accuracy"});
  graph_trainer.set_graph(true);
  std::int64_t graph_next = 0;
  const auto graph_block = [&] {
    for (std::int64_t s = 0; s < steps; ++s, graph_next = (graph_next + 1) % batches) {
      benchmark::DoNotOptimize(graph_trainer.train_step(xs[graph_next], ys[graph_next]));
    }
  };

#if SPOOL_BENCH_HAVE_LIBTORCH
  at::set_num_threads(threads);
  torch::manual_seed(42);
  torch::nn::Sequential net = torch_model(cnn);
  torch::optim::Adam torch_adam(net->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7));
  std::vector<at::Tensor> txs, tys;
  for (std::int64_t b = 0; b < batches; ++b) {
    const std::vector<std::int64_t> dims =
        cnn ? std::vector<std::int64_t>{batch, 1, 28, 28} : std::vector<std::int64_t>{batch, 28, 28};
    txs.push_back(torch::from_blob(xs[b].data<float>(), dims, torch::kFloat32));
    tys.push_back(torch::from_blob(ys[b].data<std::int64_t>(), {batch}, torch::kInt64));
  }
  std::int64_t torch_next = 0, correct = 0;
  const auto torch_block = [&] {
    for (std::int64_t s = 0; s < steps; ++s, torch_next = (torch_next + 1) % batches) {
      torch_adam.zero_grad();
      const at::Tensor logits = net->forward(txs[torch_next]);
      const at::Tensor l = torch::nn::functional::cross_entropy(logits, tys[torch_next]);
      l.backward();
      torch_adam.step();
      correct += logits.argmax(1).eq(tys[torch_next]).sum().item<std::int64_t>();
      benchmark::DoNotOptimize(l.item<double>());
    }
  };
#endif

  // Warm-up: optimizer slots, allocator pools, pool threads, the graph's trace.
  spool_block();
  graph_block();
#if SPOOL_BENCH_HAVE_LIBTORCH
  torch_block();
#endif
  double spool_s = 0, graph_s = 0, torch_s = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    spool_block();
    const auto t1 = Clock::now();
    const double s = std::chrono::duration<double>(t1 - t0).count();
    spool_s += s;
    state.SetIterationTime(s);
    graph_block();
    const auto t2 = Clock::now();
    graph_s += std::chrono::duration<double>(t2 - t1).count();
#if SPOOL_BENCH_HAVE_LIBTORCH
    torch_block();
    torch_s += std::chrono::duration<double>(Clock::now() - t2).count();
#endif
  }
  const double examples = static_cast<double>(kBlock) * static_cast<double>(state.iterations());
  state.counters["spool_ex_per_s"] = examples / spool_s;
  state.counters["graph_ex_per_s"] = examples / graph_s;
  state.counters["graph_vs_eager"] = spool_s / graph_s;
  if (torch_s > 0) {
    state.counters["libtorch_ex_per_s"] = examples / torch_s;
    state.counters["spool_vs_libtorch"] = torch_s / spool_s;
    state.counters["graph_vs_libtorch"] = torch_s / graph_s;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(examples));
}

BENCHMARK_CAPTURE(bm_train_step, mlp, false)
    ->Name("train_step/mlp")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2);
BENCHMARK_CAPTURE(bm_train_step, cnn, true)
    ->Name("train_step/cnn")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2);

}  // namespace
}  // namespace spool
