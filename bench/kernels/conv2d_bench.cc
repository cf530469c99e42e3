// Conv2D layers of the models Spool must train, Spool next to libtorch in one run:
//   conv2d/<impl>/<shape>/threads:<T>      forward + backward input + backward filter
//                                          and bias: one training step's conv layer
//   conv2d/<impl>/<shape>/fwd/threads:<T>  forward only (with bias)
// impl spool (NHWC/HWIO) or libtorch (NCHW/OIHW, its native layout: the data is
// converted once, outside the timed loop); T in {1, 2}; wall time (UseRealTime).
// Shapes: the Fashion-MNIST CNN's two conv layers at batch 64, and the first layer of
// the horses-vs-humans CNN at batch 32, all 3×3 'valid' stride 1, as Keras builds them.
//
// Debian's libtorch runs its GEMMs on the reference BLAS unless OpenBLAS is preloaded:
//   LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=<T>
//     OPENBLAS_NUM_THREADS=<T> build/bench/bench_kernels --benchmark_filter=conv2d
// (one command line).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "spool/tensor/kernels/conv2d.h"
#include "spool/tensor/random.h"
#include "spool/tensor/thread_pool.h"

#if SPOOL_BENCH_HAVE_LIBTORCH
#include <ATen/Parallel.h>
#include <torch/torch.h>
#endif

namespace spool {
namespace {

// N batch, H,W input size, C_in → C_out channels, K×K filter.
struct ConvShape {
  std::string name;
  std::int64_t n, h, w, c_in, c_out, k;
};

struct Operands {
  explicit Operands(const ConvShape& s) {
    Generator gen(2026);
    x = random_uniform(Shape{s.n, s.h, s.w, s.c_in}, -1, 1, gen);
    w = random_uniform(Shape{s.k, s.k, s.c_in, s.c_out}, -0.2, 0.2, gen);
    b = random_uniform(Shape{s.c_out}, -0.1, 0.1, gen);
    dy = random_uniform(kernels::conv2d_output_shape(x.shape(), w.shape()), -1, 1, gen);
  }
  Tensor x, w, b, dy;
};

void set_flops(benchmark::State& state, const ConvShape& s, int passes) {
  const double out = static_cast<double>((s.h - s.k + 1) * (s.w - s.k + 1));
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * passes * static_cast<double>(s.n * s.c_in * s.c_out * s.k * s.k) * out,
                         benchmark::Counter::kIsIterationInvariantRate);
}

void bm_spool(benchmark::State& state, const ConvShape& s, int threads, bool backward) {
  set_num_threads(threads);
  const Operands o(s);
  for (auto _ : state) {
    Tensor y = kernels::conv2d(o.x, o.w, o.b);
    benchmark::DoNotOptimize(y.data<float>());
    if (backward) {
      Tensor dx = kernels::conv2d_backward_input(o.dy, o.w, o.x.shape());
      kernels::Conv2DFilterGrads dw = kernels::conv2d_backward_filter_and_bias(o.x, o.dy, o.w.shape());
      benchmark::DoNotOptimize(dx.data<float>());
      benchmark::DoNotOptimize(dw.dfilter.data<float>());
      benchmark::DoNotOptimize(dw.dbias.data<float>());
    }
    benchmark::ClobberMemory();
  }
  set_flops(state, s, backward ? 3 : 1);
}

#if SPOOL_BENCH_HAVE_LIBTORCH
// NHWC → NCHW (and HWIO → OIHW) copies, made once.
at::Tensor to_torch(const Tensor& t, std::vector<std::int64_t> order) {
  Tensor c = t.contiguous();
  return torch::from_blob(c.data<float>(), c.shape().dims(), torch::kFloat32).permute(order).contiguous();
}

void bm_libtorch(benchmark::State& state, const ConvShape& s, int threads, bool backward) {
  at::set_num_threads(threads);
  at::NoGradGuard no_grad;
  const Operands o(s);
  const at::Tensor x = to_torch(o.x, {0, 3, 1, 2});
  const at::Tensor w = to_torch(o.w, {3, 2, 0, 1});
  const at::Tensor b = to_torch(o.b, {0});
  const at::Tensor dy = to_torch(o.dy, {0, 3, 1, 2});
  const std::vector<std::int64_t> stride{1, 1}, padding{0, 0}, dilation{1, 1}, output_padding{0, 0};
  for (auto _ : state) {
    at::Tensor y = at::conv2d(x, w, b);
    benchmark::DoNotOptimize(y.data_ptr<float>());
    if (backward) {
      auto [dx, dw, db] = at::convolution_backward(dy, x, w, std::vector<std::int64_t>{s.c_out}, stride, padding,
                                                   dilation, false, output_padding, 1, {true, true, true});
      benchmark::DoNotOptimize(dx.data_ptr<float>());
      benchmark::DoNotOptimize(dw.data_ptr<float>());
      benchmark::DoNotOptimize(db.data_ptr<float>());
    }
    benchmark::ClobberMemory();
  }
  set_flops(state, s, backward ? 3 : 1);
}
#endif

void register_one(const ConvShape& s, int threads, bool backward) {
  const std::string suffix = "/" + s.name + (backward ? "" : "/fwd") + "/threads:" + std::to_string(threads);
  benchmark::RegisterBenchmark(("conv2d/spool" + suffix).c_str(), bm_spool, s, threads, backward)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
#if SPOOL_BENCH_HAVE_LIBTORCH
  benchmark::RegisterBenchmark(("conv2d/libtorch" + suffix).c_str(), bm_libtorch, s, threads, backward)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
#endif
}

const bool kRegistered = [] {
  const std::vector<ConvShape> shapes = {
      {"fmnist1_28x28x1to32_k3", 64, 28, 28, 1, 32, 3},
      {"fmnist2_13x13x32to64_k3", 64, 13, 13, 32, 64, 3},
      {"hvh_150x150x3to16_k3", 32, 150, 150, 3, 16, 3},
  };
  for (const ConvShape& s : shapes)
    for (bool backward : {true, false})
      for (int threads : {1, 2}) register_one(s, threads, backward);
  return true;
}();

}  // namespace
}  // namespace spool
