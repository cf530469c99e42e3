// In-memory Fashion-MNIST, the training input of the examples: from_tensor_slices ->
// shuffle(buffer, seed) -> per-element normalise (u8 -> f32, x / 255, then
// (x - mean) / std) -> batch(32), the order of spool bench (the buffer holds views,
// not f32 copies); next to two hand-written loops doing the same work in the same
// iteration, over a seeded permutation: one normalises each image straight into the
// batch buffer, the other copies a batch's rows into a u8 buffer (the next rows'
// lines prefetched) and normalises the batch in one call, which runs about twice as
// fast (the conversion no longer waits on each row's cache misses). Rows:
//   fashion_mnist/shuffle:10000/parallelism:1   normalise inline (0 extra workers)
//   fashion_mnist/shuffle:10000/parallelism:2   on 2 map workers
//   fashion_mnist/shuffle:60000/...             a full-epoch buffer (a uniform shuffle)
// Counters: examples_per_s, pipeline_vs_loop = first loop's time / pipeline time, and
// pipeline_vs_gather_loop = second loop's time / pipeline time.
// dataloader_compare.py sets these beside torch's DataLoader.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "pipeline_bench_util.h"
#include "spool/data/image/color.h"

namespace spool::bench {
namespace {

constexpr std::int64_t kBatch = 32;

void bm_fashion_mnist(benchmark::State& state) {
  const std::optional<data::Element>& tensors = fashion_mnist();
  if (!tensors) {
    state.SkipWithError("no /usr/share/datasets/fashion-mnist");
    for (auto _ : state) {
    }
    return;
  }
  const Tensor images = (*tensors)[0].contiguous();
  const Tensor labels = (*tensors)[1].contiguous();
  const std::int64_t n = images.dim(0);
  const std::int64_t pixels = images.numel() / n;
  const data::Dataset pipeline = data::Dataset::from_tensor_slices(data::Element{images, labels})
                                     .shuffle(state.range(0), /*seed=*/42)
                                     .map(data::rescale_fn(kFashionScale, kFashionOffset),
                                          data::MapOptions().parallelism(state.range(1)))
                                     .batch(kBatch);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> gathered(static_cast<std::size_t>(kBatch * pixels));
  std::vector<float> batch_images(static_cast<std::size_t>(kBatch * pixels));
  std::vector<std::int64_t> batch_labels(kBatch);
  std::mt19937_64 rng(42);
  double loop_s = 0, gather_loop_s = 0, pipeline_s = 0;
  std::int64_t examples = 0;
  const std::uint8_t* in = images.data<std::uint8_t>();
  // A new permutation, then body(start, size) for each batch of it.
  auto each_batch = [&](auto body) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (std::int64_t start = 0; start < n; start += kBatch) {
      body(start, std::min(kBatch, n - start));
      benchmark::DoNotOptimize(batch_images.data());
      benchmark::DoNotOptimize(batch_labels.data());
    }
  };
  for (auto _ : state) {
    loop_s += seconds_of([&] {
      each_batch([&](std::int64_t start, std::int64_t size) {
        for (std::int64_t b = 0; b < size; ++b) {
          const std::int64_t i = order[static_cast<std::size_t>(start + b)];
          data::rescale(std::span<const std::uint8_t>(in + i * pixels, static_cast<std::size_t>(pixels)),
                        std::span<float>(batch_images.data() + b * pixels, static_cast<std::size_t>(pixels)),
                        kFashionScale, kFashionOffset);
          batch_labels[static_cast<std::size_t>(b)] = labels.data<std::int64_t>()[i];
        }
      });
    });
    gather_loop_s += seconds_of([&] {
      each_batch([&](std::int64_t start, std::int64_t size) {
        for (std::int64_t b = 0; b < size; ++b) {
          if (start + b + 4 < n) {
            const std::uint8_t* ahead = in + order[static_cast<std::size_t>(start + b + 4)] * pixels;
            for (std::int64_t at = 0; at < pixels; at += 64) __builtin_prefetch(ahead + at);
          }
          const std::int64_t i = order[static_cast<std::size_t>(start + b)];
          std::memcpy(gathered.data() + b * pixels, in + i * pixels, static_cast<std::size_t>(pixels));
          batch_labels[static_cast<std::size_t>(b)] = labels.data<std::int64_t>()[i];
        }
        data::rescale(std::span<const std::uint8_t>(gathered.data(), static_cast<std::size_t>(size * pixels)),
                      std::span<float>(batch_images.data(), static_cast<std::size_t>(size * pixels)), kFashionScale,
                      kFashionOffset);
      });
    });
    pipeline_s += seconds_of([&] {
      data::Iterator it = pipeline.make_iterator();
      while (std::optional<data::Element> batch = it.next()) examples += (*batch)[0].dim(0);
    });
  }
  const double total = static_cast<double>(n) * static_cast<double>(state.iterations());
  if (examples != n * state.iterations()) state.SkipWithError("the pipeline lost examples");
  state.counters["examples_per_s"] = total / pipeline_s;
  state.counters["loop_examples_per_s"] = total / loop_s;
  state.counters["pipeline_vs_loop"] = loop_s / pipeline_s;
  state.counters["gather_loop_examples_per_s"] = total / gather_loop_s;
  state.counters["pipeline_vs_gather_loop"] = gather_loop_s / pipeline_s;
  state.SetItemsProcessed(examples);
}

BENCHMARK(bm_fashion_mnist)
    ->Name("fashion_mnist")
    ->ArgNames({"shuffle", "parallelism"})
    ->Args({10000, 1})
    ->Args({10000, 2})
    ->Args({60000, 1})
    ->Args({60000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace spool::bench
