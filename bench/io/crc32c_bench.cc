// CRC-32C throughput: crc32c/spool/<bytes> (dispatched), crc32c/portable/<bytes> and,
// as the ceiling for touching the same bytes, crc32c/memcpy/<bytes>.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "spool/data/io/crc32c.h"

namespace spool::data {
namespace {

// 8 is a TFRecord length header; 16 MiB is larger than this machine's caches.
void crc32c_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t n : {8, 64, 256, 4096, 65536, 1 << 20, 16 << 20}) b->Arg(n);
}

std::vector<std::uint8_t> buffer(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 131 + 7);
  return v;
}

template <std::uint32_t (*Extend)(std::uint32_t, const void*, std::size_t)>
void bm_crc(benchmark::State& state) {
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = Extend(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void bm_memcpy(benchmark::State& state) {
  const auto data = buffer(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> copy(data.size());
  for (auto _ : state) {
    std::memcpy(copy.data(), data.data(), data.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK(bm_crc<crc32c_extend>)->Name("crc32c/spool")->Apply(crc32c_sizes);
BENCHMARK(bm_crc<crc32c_extend_portable>)->Name("crc32c/portable")->Apply(crc32c_sizes);
BENCHMARK(bm_memcpy)->Name("crc32c/memcpy")->Apply(crc32c_sizes);

}  // namespace
}  // namespace spool::data
