// tf.train.Example parsing: spec parsing (zero-copy bytes), the raw view walk and the
// owning decode, next to a memcpy of the same record bytes.
//   build/bench/bench_io --benchmark_filter=example/
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "spool/data/io/example.h"
#include "spool/data/io/parse_example.h"

namespace {

using namespace spool;
using namespace spool::data;

// {label: int64, image/encoded: 784 bytes}: an MNIST-sized record.
std::string mnist_like_record() {
  Example ex;
  ex.features["label"] = Feature::int64s({7});
  std::string image(784, '\0');
  for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>(i * 31);
  ex.features["image/encoded"] = Feature::bytes({image});
  return encode_example(ex);
}

void BM_ExampleParse(benchmark::State& state) {
  const Tensor record = Tensor::from_bytes(mnist_like_record());
  FeatureSpec spec;
  spec.add("label", FixedLen::int64()).add("image/encoded", FixedLen::bytes());
  for (auto _ : state) {
    ParsedExample ex = parse_example(record, spec);
    benchmark::DoNotOptimize(ex);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * record.numel());
}
BENCHMARK(BM_ExampleParse)->Name("example/parse/spool");

void BM_ExampleMemcpy(benchmark::State& state) {
  const std::string record = mnist_like_record();
  std::vector<char> buffer(record.size());
  for (auto _ : state) {
    std::memcpy(buffer.data(), record.data(), record.size());
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(record.size()));
}
BENCHMARK(BM_ExampleMemcpy)->Name("example/reference/memcpy");

void BM_ExampleView(benchmark::State& state) {
  const std::string record = mnist_like_record();
  for (auto _ : state) {
    std::size_t values = 0;
    for_each_feature(record, [&](std::string_view key, const FeatureView& f) { values += key.size() + f.size(); });
    benchmark::DoNotOptimize(values);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(record.size()));
}
BENCHMARK(BM_ExampleView)->Name("example/view/spool");

void BM_ExampleDecode(benchmark::State& state) {
  const std::string record = mnist_like_record();
  for (auto _ : state) {
    Example ex = decode_example(record);
    benchmark::DoNotOptimize(ex);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(record.size()));
}
BENCHMARK(BM_ExampleDecode)->Name("example/decode/spool");

}  // namespace
