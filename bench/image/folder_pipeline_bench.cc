// decode -> resize 150x150 (bilinear) -> f32 [0,1] -> batch 32 over a PNG folder
// (../shared/data/horse-or-human/train, 300x300 RGBA) and a JPEG folder (the JPEGs of
// ../shared/data/jpeg that libjpeg decodes, 100x100 to 2725x2225, so most are decoded
// at 1/2 to 1/8 in the DCT domain), with 1 and then 2 map workers, beside the decode
// ceiling in the same iteration: the codec alone (decode to u8 RGB, no pipeline) in a
// plain loop on one thread per core over the same bytes. Counters: images_per_s of
// each, `scaling` (2 workers / 1, goal >= 1.8) and `of_ceiling` (2 workers / the
// ceiling, goal >= 0.9). The ceiling decodes a JPEG at the DCT ratio the pipeline picks.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "spool/data/dataset.h"
#include "spool/data/image/color.h"
#include "spool/data/image/decode_image.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/io/read_file.h"
#include "spool/data/sources/image_folder_dataset.h"

namespace spool::data {
namespace {

#ifndef SPOOL_SHARED_DATA_DIR
#define SPOOL_SHARED_DATA_DIR ""
#endif

namespace fs = std::filesystem;

// A class folder of symlinks to the decodable JPEGs of ../shared/data/jpeg (which has
// no class sub-folders, and a 12-bit file libjpeg refuses); removed at exit.
class JpegFolder {
 public:
  static const JpegFolder& get() {
    static const JpegFolder folder;
    return folder;
  }
  const std::string& root() const { return root_; }
  ~JpegFolder() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

 private:
  JpegFolder() : root_((fs::temp_directory_path() / ("spool-jpeg-bench-" + std::to_string(::getpid()))).string()) {
    const fs::path source = fs::path(SPOOL_SHARED_DATA_DIR) / "jpeg";
    if (!fs::is_directory(source)) return;
    fs::create_directories(fs::path(root_) / "all");
    for (const auto& entry : fs::directory_iterator(source)) {
      std::string ext = entry.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (ext != ".jpg" && ext != ".jpeg") continue;
      try {
        decode_image(read_file(entry.path().string()).as_string_view(), entry.path().string());
      } catch (const Error&) {
        continue;
      }
      fs::create_symlink(fs::absolute(entry.path()), fs::path(root_) / "all" / entry.path().filename());
    }
  }
  std::string root_;
};

std::vector<std::string> files_under(const std::string& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_directory()) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

MapFn decode_resize() {
  return [](Element e) {
    const Tensor image = decode_image_file(e[0].as_string_view(), e[2].as_string_view(),
                                           ImageFolderOptions().image_size({150, 150}));
    return Element({rescale(image, 1.0f / 255.0f), e[1]});
  };
}

// Seconds for one pass of the pipeline; adds the images it delivered.
double pipeline_pass(const std::string& root, std::int64_t workers, std::int64_t& images) {
  const auto t0 = std::chrono::steady_clock::now();
  Dataset ds = ImageFolderDataset(root, ImageFolderOptions().shuffle(false))
                   .map(decode_resize(), MapOptions().parallelism(workers))
                   .batch(32)
                   .prefetch(2);
  Iterator it = ds.make_iterator();
  while (auto batch = it.next()) images += (*batch)[0].dim(0);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Seconds for one thread per core to decode every file once between them, taking the
// next file from a shared counter; the bytes are already in memory.
template <typename Decode>
double ceiling_pass(const std::vector<std::string>& bytes, Decode decode) {
  std::atomic<std::size_t> next{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) {
    threads.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < bytes.size();) benchmark::DoNotOptimize(decode(bytes[i]).raw_data());
    });
  }
  for (std::thread& t : threads) t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void BM_FolderPipeline(benchmark::State& state, const std::string& root) {
  if (root.empty() || !fs::is_directory(root) || files_under(root).empty()) {
    state.SkipWithError("../shared/data is absent");
    return;
  }
  std::vector<std::string> bytes;
  for (const std::string& f : files_under(root)) bytes.push_back(std::string(read_file(f).as_string_view()));
  const auto codec = [](const std::string& b) {
    DecodeOptions options = DecodeOptions().channels(3);
    if (detect_image_format(b, "bench") == ImageFormat::kJpeg) {
      const ImageInfo info = read_image_info(b, "bench");
      options.ratio(jpeg_ratio_for(info.height, info.width, 150, 150));
    }
    return decode_image(b, "bench", options);
  };
  double one_s = 0, two_s = 0, ceiling_s = 0;
  std::int64_t one_n = 0, two_n = 0, ceiling_n = 0;
  for (auto _ : state) {
    one_s += pipeline_pass(root, 1, one_n);
    two_s += pipeline_pass(root, 2, two_n);
    ceiling_s += ceiling_pass(bytes, codec);
    ceiling_n += static_cast<std::int64_t>(bytes.size());
  }
  const double one = static_cast<double>(one_n) / one_s;
  const double two = static_cast<double>(two_n) / two_s;
  const double ceiling = static_cast<double>(ceiling_n) / ceiling_s;
  state.counters["one_worker_images_per_s"] = one;
  state.counters["two_workers_images_per_s"] = two;
  state.counters["ceiling_images_per_s"] = ceiling;
  state.counters["scaling"] = two / one;
  state.counters["of_ceiling"] = two / ceiling;
  state.counters["cores"] = std::max(1u, std::thread::hardware_concurrency());
}

BENCHMARK_CAPTURE(BM_FolderPipeline, png,
                  (fs::path(SPOOL_SHARED_DATA_DIR) / "horse-or-human" / "train").string())
    ->Name("folder_pipeline/png")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_FolderPipeline, jpeg, JpegFolder::get().root())
    ->Name("folder_pipeline/jpeg")
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0)
    ->UseRealTime();

}  // namespace
}  // namespace spool::data
