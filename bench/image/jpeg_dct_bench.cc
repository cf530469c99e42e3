// JPEG 1024x768 -> 224x224: decoding at 1/2 in the DCT domain then resizing the rest
// of the way, against a full decode then the same bilinear resize. The JPEG is made in
// the process with encode_jpeg, from a real photo of ../shared/data/jpeg when present
// (else a synthetic picture). Jpeg/Paired times both paths alternately in the same
// iterations and reports their ratio as `speedup` (the figure to quote on a busy host).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>

#include "spool/data/image/color.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/image/resize.h"
#include "spool/data/io/read_file.h"

namespace spool::data {
namespace {

constexpr std::int64_t kHeight = 768, kWidth = 1024, kTarget = 224;

#ifndef SPOOL_SHARED_DATA_DIR
#define SPOOL_SHARED_DATA_DIR ""
#endif

Tensor source_picture() {
  const std::filesystem::path photo =
      std::filesystem::path(SPOOL_SHARED_DATA_DIR) / "jpeg" / "2569067123_aca715a2ee_o.jpg";
  if (std::filesystem::exists(photo)) {
    const Tensor big = decode_jpeg(read_file(photo.string()).as_string_view(), photo.string(), DecodeOptions().channels(3));
    return round_to_u8(resize(big, {kHeight, kWidth}, ResizeMethod::kBilinear, true));
  }
  Tensor img = Tensor::empty(Shape{kHeight, kWidth, 3}, DType::kU8);
  std::uint8_t* d = img.data<std::uint8_t>();
  for (std::int64_t y = 0; y < kHeight; ++y) {
    for (std::int64_t x = 0; x < kWidth; ++x) {
      for (std::int64_t c = 0; c < 3; ++c) {
        const double v = 128 + 100 * std::sin(0.013 * x * (c + 1) + 0.021 * y) + 20 * std::sin(0.7 * x * y);
        *d++ = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
      }
    }
  }
  return img;
}

const std::string& test_jpeg() {
  static const std::string bytes = encode_jpeg(source_picture(), 90);
  return bytes;
}

Tensor full_path(const std::string& bytes) {
  return resize(decode_jpeg(bytes, "bench.jpg", DecodeOptions().channels(3)), {kTarget, kTarget});
}

Tensor dct_path(const std::string& bytes) {
  const int ratio = jpeg_ratio_for(kHeight, kWidth, kTarget, kTarget);  // 2: 384 x 512
  return resize(decode_jpeg(bytes, "bench.jpg", DecodeOptions().channels(3).ratio(ratio)), {kTarget, kTarget});
}

void BM_JpegFullDecodeResize(benchmark::State& state) {
  const std::string& bytes = test_jpeg();
  for (auto _ : state) benchmark::DoNotOptimize(full_path(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JpegFullDecodeResize)->Unit(benchmark::kMillisecond);

void BM_JpegDctDecodeResize(benchmark::State& state) {
  const std::string& bytes = test_jpeg();
  for (auto _ : state) benchmark::DoNotOptimize(dct_path(bytes));
  state.SetItemsProcessed(state.iterations());
  state.counters["ratio"] = jpeg_ratio_for(kHeight, kWidth, kTarget, kTarget);
}
BENCHMARK(BM_JpegDctDecodeResize)->Unit(benchmark::kMillisecond);

// Both paths in each iteration, timed apart: the ratio is immune to load that comes and goes.
void BM_JpegPaired(benchmark::State& state) {
  using Clock = std::chrono::steady_clock;
  const std::string& bytes = test_jpeg();
  double full = 0, dct = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(full_path(bytes));
    const auto t1 = Clock::now();
    benchmark::DoNotOptimize(dct_path(bytes));
    const auto t2 = Clock::now();
    full += std::chrono::duration<double>(t1 - t0).count();
    dct += std::chrono::duration<double>(t2 - t1).count();
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["full_ms"] = 1e3 * full / n;
  state.counters["dct_ms"] = 1e3 * dct / n;
  state.counters["speedup"] = full / dct;
}
BENCHMARK(BM_JpegPaired)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace spool::data
