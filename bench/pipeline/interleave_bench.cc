// The idiom tf.data users write to read shards in parallel,
//   list_files(glob).interleave(TFRecordDataset, cycle 4, parallel)
// next to Spool's built-in parallel read, TFRecordDataset(files, gzip, 4 readers),
// over the same four gzip shards of Fashion-MNIST-sized Examples, in the same
// iteration. Counter interleave_vs_builtin = built-in time / interleave time (goal
// >= 0.9). Rows: interleave parallelism 1 (no threads), 2, and autotune.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline_bench_util.h"
#include "spool/data/io/example.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/sources/list_files.h"
#include "spool/data/sources/tfrecord_dataset.h"

namespace spool::bench {
namespace {

constexpr int kShards = 4;
constexpr int kRecordsPerShard = 15000;

class GzipShards {
 public:
  static const GzipShards& get() {
    static GzipShards shards;
    return shards;
  }
  ~GzipShards() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::vector<std::string> files;
  std::string glob;

 private:
  GzipShards()
      : dir_(std::filesystem::temp_directory_path() / ("spool-bench-interleave-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    std::string image(784, '\0');
    for (int s = 0; s < kShards; ++s) {
      files.push_back((dir_ / ("train-" + std::to_string(s) + ".tfrecord.gz")).string());
      data::TFRecordWriter writer(files.back(), data::WriterOptions().compression(data::Compression::kGzip));
      for (int i = 0; i < kRecordsPerShard; ++i) {
        for (std::size_t j = 0; j < image.size(); ++j) image[j] = static_cast<char>((i * 3 + j * 7 + s) & 0xff);
        data::Example ex;
        ex.features["image"] = data::Feature::bytes({image});
        ex.features["label"] = data::Feature::int64s({i % 10});
        writer.write(data::encode_example(ex));
      }
      writer.close();
    }
    glob = (dir_ / "train-*.tfrecord.gz").string();
  }
  std::filesystem::path dir_;
};

void bm_interleave(benchmark::State& state) {
  const GzipShards& shards = GzipShards::get();
  const data::RecordOptions gzip = data::RecordOptions().compression(data::Compression::kGzip);
  const data::Dataset builtin = data::TFRecordDataset(shards.files, gzip, kShards);
  const data::Dataset interleaved = data::list_files(shards.glob, /*shuffle=*/false)
                                        .interleave(
                                            [gzip](const data::Element& name) {
                                              return data::TFRecordDataset({std::string(name[0].as_string_view())}, gzip);
                                            },
                                            data::InterleaveOptions().cycle_length(kShards).parallelism(state.range(0)));
  double builtin_s = 0, interleave_s = 0;
  std::int64_t records = 0;
  for (auto _ : state) {
    builtin_s += seconds_of([&] { records += drain(builtin); });
    interleave_s += seconds_of([&] { records += drain(interleaved); });
  }
  const double n = static_cast<double>(kShards) * kRecordsPerShard * static_cast<double>(state.iterations());
  if (records != 2 * static_cast<std::int64_t>(n)) state.SkipWithError("a pipeline lost records");
  state.counters["builtin_records_per_s"] = n / builtin_s;
  state.counters["interleave_records_per_s"] = n / interleave_s;
  state.counters["interleave_vs_builtin"] = builtin_s / interleave_s;
}

BENCHMARK(bm_interleave)
    ->Name("interleave_tfrecord")
    ->ArgName("parallelism")
    ->Arg(1)
    ->Arg(2)
    ->Arg(data::kAutotune)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace spool::bench
