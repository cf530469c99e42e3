// Elementwise and reduction throughput, next to memcpy as the memory-bandwidth
// reference. Bytes are those the op must move: inputs read plus output written
// (memcpy of 1M floats: 4 MB read + 4 MB written), so the GB/s rows compare.
//   elementwise/memcpy/1M                         std::memcpy of 1M f32
//   elementwise/spool/add_1M/threads:<T>          c = add(a, b), a new 1M f32 tensor each time
//                                                 (the public op with no tape active:
//                                                 the kernel plus the recording check)
//   elementwise/spool/add_inplace_1M/threads:<T>  add_(a, b): the kernel without allocation
//   elementwise/spool/bias_add_32x128             x + bias, [32, 128] + [128] (per-call
//                                                 overhead, the recording check included)
//   reduce/spool/sum_1M/threads:<T>               sum(a) of 1M f32 (f64 lanes), the public op
//   reduce/spool/sum_to_256x512                   sum_to [256, 512] -> [512]: a bias gradient,
//                                                 each output a strided column walk
// UseRealTime everywhere, so 1- and 2-thread rows compare.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/reduce.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
#include "spool/tensor/thread_pool.h"

namespace spool {
namespace {

constexpr std::int64_t kMillion = 1 << 20;

Tensor random_floats(const Shape& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor t = Tensor::empty(shape, DType::kF32);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
  return t;
}

void set_bytes(benchmark::State& state, std::int64_t bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes_per_iteration);
}

void bm_memcpy(benchmark::State& state) {
  const Tensor a = random_floats(Shape{kMillion}, 1);
  Tensor c = Tensor::empty(Shape{kMillion}, DType::kF32);
  for (auto _ : state) {
    std::memcpy(c.raw_data(), a.raw_data(), kMillion * sizeof(float));
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2 * kMillion * 4);
}

void bm_add(benchmark::State& state, int threads) {
  set_num_threads(threads);
  const Tensor a = random_floats(Shape{kMillion}, 1), b = random_floats(Shape{kMillion}, 2);
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b));
  set_bytes(state, 3 * kMillion * 4);
}

void bm_add_inplace(benchmark::State& state, int threads) {
  set_num_threads(threads);
  Tensor a = random_floats(Shape{kMillion}, 1);
  const Tensor b = random_floats(Shape{kMillion}, 2);
  for (auto _ : state) {
    kernels::add_(a, b);
    benchmark::ClobberMemory();
  }
  set_bytes(state, 3 * kMillion * 4);
}

void bm_bias_add(benchmark::State& state) {
  const Tensor x = random_floats(Shape{32, 128}, 1), bias = random_floats(Shape{128}, 2);
  for (auto _ : state) benchmark::DoNotOptimize(x + bias);
  set_bytes(state, (2 * 32 * 128 + 128) * 4);
}

void bm_sum(benchmark::State& state, int threads) {
  set_num_threads(threads);
  const Tensor a = random_floats(Shape{kMillion}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(sum(a));
  set_bytes(state, kMillion * 4);
}

void bm_sum_to_bias(benchmark::State& state) {
  const Tensor dy = random_floats(Shape{256, 512}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(sum_to(dy, Shape{512}));
  set_bytes(state, (256 * 512 + 512) * 4);
}

const bool kRegistered = [] {
  benchmark::RegisterBenchmark("elementwise/memcpy/1M", bm_memcpy)->UseRealTime();
  for (int threads : {1, 2}) {
    const std::string suffix = "/threads:" + std::to_string(threads);
    benchmark::RegisterBenchmark(("elementwise/spool/add_1M" + suffix).c_str(), bm_add, threads)->UseRealTime();
    benchmark::RegisterBenchmark(("elementwise/spool/add_inplace_1M" + suffix).c_str(), bm_add_inplace, threads)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("elementwise/spool/bias_add_32x128", bm_bias_add)->UseRealTime();
  for (int threads : {1, 2})
    benchmark::RegisterBenchmark(("reduce/spool/sum_1M/threads:" + std::to_string(threads)).c_str(), bm_sum, threads)
        ->UseRealTime();
  benchmark::RegisterBenchmark("reduce/spool/sum_to_256x512", bm_sum_to_bias)->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace spool
