// horses-vs-humans (../shared/data/horse-or-human/train, 300x300 PNG) through a Spool
// pipeline: decode -> resize 150x150 (bilinear) -> f32 [0,1] -> batch 32, with 1 and
// 2 map workers, beside the decode-only ceiling (decode to u8 -> batch 32) in the same
// iteration. Counters: images_per_s of each and `of_ceiling` (the goal is >= 0.9).
// hvh_compare.py puts the same work beside a torchvision/PIL DataLoader.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>

#include "spool/data/dataset.h"
#include "spool/data/image/color.h"
#include "spool/data/image/decode_image.h"
#include "spool/data/sources/image_folder_dataset.h"

namespace spool::data {
namespace {

#ifndef SPOOL_SHARED_DATA_DIR
#define SPOOL_SHARED_DATA_DIR ""
#endif

MapFn decode_only() {
  return [](Element e) {
    return Element({decode_image(e[0].as_string_view(), e[2].as_string_view(), DecodeOptions().channels(3)), e[1]});
  };
}

MapFn decode_resize() {
  return [](Element e) {
    const Tensor image = decode_image_file(e[0].as_string_view(), e[2].as_string_view(),
                                           ImageFolderOptions().image_size({150, 150}));
    return Element({rescale(image, 1.0f / 255.0f), e[1]});
  };
}

// Seconds for one pass over the folder; returns the images seen.
double one_pass(const std::string& folder, const MapFn& fn, std::int64_t workers, std::int64_t& images) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset ds = ImageFolderDataset(folder, ImageFolderOptions().shuffle(false))
                   .map(fn, MapOptions().parallelism(workers))
                   .batch(32)
                   .prefetch(2);
  Iterator it = ds.make_iterator();
  while (auto batch = it.next()) images += (*batch)[0].dim(0);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void BM_HorsesVsHumans(benchmark::State& state) {
  const std::string folder = (std::filesystem::path(SPOOL_SHARED_DATA_DIR) / "horse-or-human" / "train").string();
  if (!std::filesystem::is_directory(folder)) {
    state.SkipWithError("../shared/data/horse-or-human is absent");
    return;
  }
  const std::int64_t workers = state.range(0);
  double resize_s = 0, ceiling_s = 0;
  std::int64_t resize_n = 0, ceiling_n = 0;
  for (auto _ : state) {
    resize_s += one_pass(folder, decode_resize(), workers, resize_n);
    ceiling_s += one_pass(folder, decode_only(), workers, ceiling_n);
  }
  state.counters["images_per_s"] = static_cast<double>(resize_n) / resize_s;
  state.counters["ceiling_images_per_s"] = static_cast<double>(ceiling_n) / ceiling_s;
  state.counters["of_ceiling"] = (static_cast<double>(resize_n) / resize_s) / (static_cast<double>(ceiling_n) / ceiling_s);
}
BENCHMARK(BM_HorsesVsHumans)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();

}  // namespace
}  // namespace spool::data
