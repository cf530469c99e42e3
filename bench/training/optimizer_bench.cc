// One optimizer step over the Fashion-MNIST MLP's parameters (784-128-10: 101,770 f32
// in one VariableArena), next to std::memcpy moving the same bytes in the same
// iteration. Bytes are those the update must move: Adam reads p, g, m, v and writes
// p, m, v (7 × 4 B per parameter); SGD with momentum reads p, g, m and writes p, m (5).
// The reference copies half that many bytes (a copy reads and writes each byte).
// Rows:
//   optimizer/adam/tape_grads        4 gradient tensors, as GradientTape::gradient returns
//   optimizer/adam/flat_grads        gradients viewing one buffer laid out like the arena:
//                                    the whole model in one loop
//   optimizer/adam/standalone        4 variables outside any arena (per-variable buffers)
//   optimizer/adam/global_clipnorm   tape_grads plus the global norm (one more read of g)
//   optimizer/amsgrad/tape_grads
//   optimizer/sgd_momentum/tape_grads
// Each row on 1 and 2 threads of the kernel pool (the update splits runs
// into chunks of at least 64 K elements, so here only the flat_grads run of 101 K could).
// Counters: us_per_step, and vs_memcpy = step time / reference time (1.0 = memory speed).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "spool/autodiff/optim.h"
#include "spool/tensor/thread_pool.h"

namespace spool::autodiff {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::pair<const char*, Shape>> kMlp{
    {"dense/kernel", Shape{784, 128}}, {"dense/bias", Shape{128}}, {"dense_1/kernel", Shape{128, 10}},
    {"dense_1/bias", Shape{10}}};

Tensor random_floats(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  Tensor t = Tensor::empty(shape, DType::kF32);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

enum class Layout { kTapeGrads, kFlatGrads, kStandalone };

void bm_step(benchmark::State& state, const std::function<std::unique_ptr<Optimizer>()>& make, Layout layout,
             int arrays_moved) {
  set_num_threads(static_cast<int>(state.range(0)));
  VariableArena arena;
  std::vector<Variable> vars;
  for (std::size_t i = 0; i < kMlp.size(); ++i) {
    const Tensor init = random_floats(kMlp[i].second, static_cast<std::uint32_t>(i));
    vars.push_back(layout == Layout::kStandalone ? Variable(kMlp[i].first, init) : arena.add(kMlp[i].first, init));
  }
  std::vector<Tensor> grads;
  Tensor flat = Tensor::zeros(Shape{arena.size()}, DType::kF32);
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const Tensor g = random_floats(vars[i].shape(), static_cast<std::uint32_t>(100 + i));
    if (layout == Layout::kFlatGrads) {
      grads.push_back(arena.slice_of(flat, i));
      std::memcpy(grads.back().raw_data(), g.raw_data(), g.numel() * sizeof(float));
    } else {
      grads.push_back(g);
    }
  }
  std::int64_t params = 0;
  for (const Variable& v : vars) params += v.shape().numel();
  const std::size_t copy_bytes = static_cast<std::size_t>(params) * sizeof(float) * arrays_moved / 2;
  std::vector<char> src(copy_bytes, 1), dst(copy_bytes);

  std::unique_ptr<Optimizer> opt = make();
  opt->apply_gradients(grads, vars);  // slots made outside the timing
  double step_s = 0, copy_s = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    opt->apply_gradients(grads, vars);
    const auto t1 = Clock::now();
    std::memcpy(dst.data(), src.data(), copy_bytes);
    benchmark::ClobberMemory();
    const auto t2 = Clock::now();
    const double step = std::chrono::duration<double>(t1 - t0).count();
    step_s += step;
    copy_s += std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(step);
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["us_per_step"] = step_s / n * 1e6;
  state.counters["vs_memcpy"] = step_s / copy_s;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * params * 4 * arrays_moved);
}

std::unique_ptr<Optimizer> adam() { return std::make_unique<Adam>(); }

BENCHMARK_CAPTURE(bm_step, adam/tape_grads, adam, Layout::kTapeGrads, 7)->UseManualTime()->ArgName("threads")->Arg(1)->Arg(2);
BENCHMARK_CAPTURE(bm_step, adam/flat_grads, adam, Layout::kFlatGrads, 7)->UseManualTime()->ArgName("threads")->Arg(1)->Arg(2);
BENCHMARK_CAPTURE(bm_step, adam/standalone, adam, Layout::kStandalone, 7)->UseManualTime()->ArgName("threads")->Arg(1)->Arg(2);
BENCHMARK_CAPTURE(
    bm_step, adam/global_clipnorm, [] { return std::make_unique<Adam>(AdamOptions().global_clipnorm(1.0)); },
    Layout::kTapeGrads, 7)
    ->UseManualTime()->ArgName("threads")->Arg(1)->Arg(2);
BENCHMARK_CAPTURE(
    bm_step, amsgrad/tape_grads, [] { return std::make_unique<Adam>(AdamOptions().amsgrad(true)); },
    Layout::kTapeGrads, 9)
    ->UseManualTime()->ArgName("threads")->Arg(1)->Arg(2);
BENCHMARK_CAPTURE(
    bm_step, sgd_momentum/tape_grads,
    [] { return std::make_unique<SGD>(SGDOptions().learning_rate(0.01).momentum(0.9)); }, Layout::kTapeGrads, 5)
    ->UseManualTime()->ArgName("threads")->Arg(1)->Arg(2);

}  // namespace
}  // namespace spool::autodiff
