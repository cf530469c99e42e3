// What the pipeline benchmarks share: a stopwatch, a drain loop and the
// Fashion-MNIST tensors with their per-element normalisation.
// Thread-safety: fashion_mnist() is safe to call from any thread (a static local).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "spool/data/dataset.h"

namespace spool::bench {

// Seconds `f` takes.
template <typename F>
double seconds_of(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs one pass and returns the elements it delivered.
inline std::int64_t drain(const data::Dataset& ds) {
  std::int64_t n = 0;
  data::Iterator it = ds.make_iterator();
  while (std::optional<data::Element> e = it.next()) {
    benchmark::DoNotOptimize(e->components().data());
    ++n;
  }
  return n;
}

// Fashion-MNIST's training set as {image u8[60000,28,28], label i64[60000]}, read once;
// nullopt when /usr/share/datasets/fashion-mnist is absent.
const std::optional<data::Element>& fashion_mnist();

// The usual normalisation of a Fashion-MNIST image: u8 -> f32, x / 255, then
// (x - mean) / std with the training set's mean 0.2860 and std 0.3530, as
// data::rescale's one multiply-add: rescale(image, kFashionScale, kFashionOffset).
inline constexpr float kFashionMean = 0.2860f;
inline constexpr float kFashionStd = 0.3530f;
inline constexpr float kFashionScale = 1.0f / (255.0f * kFashionStd);
inline constexpr float kFashionOffset = -(kFashionMean / kFashionStd);

}  // namespace spool::bench
