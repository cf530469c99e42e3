// SGEMM throughput, Spool next to OpenBLAS in the same run:
//   gemm/<impl>/<N>/threads:<T>        N × N × N, no transposes
//   gemm/<impl>/mlp_fwd_32x784x128     the Fashion-MNIST MLP step: Y = X · W
//   gemm/<impl>/mlp_dw_784x32x128      dW = Xᵀ · dY
//   gemm/<impl>/mlp_dx_32x128x784      dX = dY · Wᵀ
// with impl spool or openblas and T in {1, 2}; GFLOPS = 2 · M · N · K per second of
// wall time (UseRealTime everywhere, so 1- and 2-thread rows compare, and Google
// Benchmark appends /real_time to each name).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "spool/tensor/kernels/gemm.h"
#include "spool/tensor/thread_pool.h"

#if SPOOL_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace spool::kernels {
namespace {

// Legend: op(A) is M × K, op(B) K × N, all stored row-major without padding.
struct GemmShape {
  std::string name;
  std::int64_t m, n, k;
  bool ta, tb;
};

std::vector<float> random_floats(std::int64_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(count));
  for (float& x : v) x = u(rng);
  return v;
}

struct Operands {
  explicit Operands(const GemmShape& s)
      : a(random_floats(s.m * s.k, 1)), b(random_floats(s.k * s.n, 2)), c(static_cast<std::size_t>(s.m * s.n)) {}
  std::vector<float> a, b, c;
};

std::int64_t lda_of(const GemmShape& s) { return s.ta ? s.m : s.k; }
std::int64_t ldb_of(const GemmShape& s) { return s.tb ? s.k : s.n; }

void set_gflops(benchmark::State& state, const GemmShape& s) {
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * static_cast<double>(s.m * s.n * s.k),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

void bm_spool(benchmark::State& state, const GemmShape& s, int threads) {
  set_num_threads(threads);
  Operands o(s);
  for (auto _ : state) {
    sgemm(s.ta, s.tb, s.m, s.n, s.k, 1.0f, o.a.data(), lda_of(s), o.b.data(), ldb_of(s), 0.0f, o.c.data(), s.n);
    benchmark::ClobberMemory();
  }
  set_gflops(state, s);
  state.SetLabel(std::string(sgemm_implementation()));
}

#if SPOOL_BENCH_HAVE_OPENBLAS
void bm_openblas(benchmark::State& state, const GemmShape& s, int threads) {
  openblas_set_num_threads(threads);
  Operands o(s);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
                static_cast<int>(s.m), static_cast<int>(s.n), static_cast<int>(s.k), 1.0f, o.a.data(),
                static_cast<int>(lda_of(s)), o.b.data(), static_cast<int>(ldb_of(s)), 0.0f, o.c.data(),
                static_cast<int>(s.n));
    benchmark::ClobberMemory();
  }
  set_gflops(state, s);
}
#endif

void register_one(const GemmShape& s, int threads) {
  const std::string suffix = "/" + s.name + "/threads:" + std::to_string(threads);
  benchmark::RegisterBenchmark(("gemm/spool" + suffix).c_str(), bm_spool, s, threads)->UseRealTime();
#if SPOOL_BENCH_HAVE_OPENBLAS
  benchmark::RegisterBenchmark(("gemm/openblas" + suffix).c_str(), bm_openblas, s, threads)->UseRealTime();
#endif
}

const bool kRegistered = [] {
  std::vector<GemmShape> shapes;
  for (std::int64_t n : {256, 512, 1024, 2048}) shapes.push_back({std::to_string(n), n, n, n, false, false});
  shapes.push_back({"mlp_fwd_32x784x128", 32, 128, 784, false, false});
  shapes.push_back({"mlp_dw_784x32x128", 784, 128, 32, true, false});
  shapes.push_back({"mlp_dx_32x128x784", 32, 784, 128, false, true});
  for (const GemmShape& s : shapes)
    for (int threads : {1, 2}) register_one(s, threads);
  return true;
}();

}  // namespace
}  // namespace spool::kernels
