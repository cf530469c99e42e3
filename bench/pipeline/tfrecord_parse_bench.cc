// TFRecord -> parse_example -> batch(256) over 60000 Fashion-MNIST-sized Examples
// ({image: 784 bytes, label: int64}), next to a plain TFRecordReader loop over the same
// file in the same iteration. Counters: pipeline_vs_read = read time / pipeline time
// (goal >= 70 %), and pipeline_vs_parse_loop against a hand-written reader + parse
// loop (what the Dataset stages add on top of the same work). The reference loop calls
// next(), which makes a Tensor per record; the fused stage reads frames without one
// (TFRecordReader::next_frame), so frames_vs_read shows what that alone saves and
// pipeline_vs_frames compares the stage with a bare next_frame() loop. Rows:
//   tfrecord_parse_batch/parallelism:0   parse_example_batch, the fused stage
//   tfrecord_parse_batch/parallelism:1   map(parse_example) inline, then batch, as written
//   tfrecord_parse_batch/parallelism:2   the same with 2 map workers
// The map rows run their pipeline twice: as written (Optimizations::none(), the
// pipeline_* counters) and rewritten by the default optimizations, which run it as
// parse_example_batch (rewritten_vs_fused: parse_example_batch's time over the rewritten
// pipeline's, goal 1.0; rewritten_vs_written: the speed-up the rewrite brings).
// The file is written once to $TMPDIR and removed at exit; the first pass page-caches it.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "pipeline_bench_util.h"
#include "spool/data/io/example.h"
#include "spool/data/io/parse_example.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/ops/parse_example_fn.h"
#include "spool/data/sources/tfrecord_dataset.h"

namespace spool::bench {
namespace {

constexpr int kRecords = 60000;
constexpr std::int64_t kBatch = 256;

class RecordFile {
 public:
  static const std::string& path() {
    static RecordFile file;
    return file.path_;
  }
  ~RecordFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

 private:
  RecordFile()
      : path_((std::filesystem::temp_directory_path() /
               ("spool-bench-fashion-" + std::to_string(::getpid()) + ".tfrecord"))
                  .string()) {
    data::TFRecordWriter writer(path_);
    std::string image(784, '\0');
    for (int i = 0; i < kRecords; ++i) {
      for (std::size_t j = 0; j < image.size(); ++j) image[j] = static_cast<char>((i + j * 7) & 0xff);
      data::Example ex;
      ex.features["image"] = data::Feature::bytes({image});
      ex.features["label"] = data::Feature::int64s({i % 10});
      writer.write(data::encode_example(ex));
    }
    writer.close();
  }
  std::string path_;
};

data::FeatureSpec fashion_spec() {
  data::FeatureSpec spec;
  spec.add("image", data::FixedLen::bytes()).add("label", data::FixedLen::int64());
  return spec;
}

void bm_parse_batch(benchmark::State& state) {
  const std::string& path = RecordFile::path();
  const data::FeatureSpec spec = fashion_spec();
  // parallelism 0: the fused stage, parse_example_batch (no tensor per record).
  const data::Dataset source = data::TFRecordDataset({path});
  const data::Dataset fused = source.parse_example_batch(spec, kBatch);
  const data::Dataset mapped =
      source.map(data::parse_example(spec), data::MapOptions().parallelism(std::max<std::int64_t>(1, state.range(0))))
          .batch(kBatch);
  const data::Dataset pipeline =
      state.range(0) == 0 ? fused : mapped.with_options(data::Options().optimizations(data::Optimizations::none()));
  // The raw reading TFRecordDataset does: no record index kept.
  const data::RecordOptions streaming = data::RecordOptions().build_index(false);
  double read_s = 0, frames_s = 0, loop_s = 0, pipeline_s = 0, fused_s = 0, rewritten_s = 0;
  std::int64_t records = 0;
  auto run = [&records](const data::Dataset& ds) {
    data::Iterator it = ds.make_iterator();
    while (std::optional<data::Element> batch = it.next()) records += (*batch)[0].dim(0);
  };
  for (auto _ : state) {
    read_s += seconds_of([&] {
      data::TFRecordReader reader(path, streaming);
      while (std::optional<data::Record> r = reader.next()) benchmark::DoNotOptimize(r->data.raw_data());
    });
    frames_s += seconds_of([&] {
      data::TFRecordReader reader(path, streaming);
      while (std::optional<data::RecordFrame> r = reader.next_frame()) benchmark::DoNotOptimize(r->begin);
    });
    loop_s += seconds_of([&] {
      data::TFRecordReader reader(path, streaming);
      while (std::optional<data::Record> r = reader.next()) {
        data::ParsedExample ex = data::parse_example(r->data, spec);
        benchmark::DoNotOptimize(ex);
      }
    });
    pipeline_s += seconds_of([&] { run(pipeline); });
    if (state.range(0) != 0) {
      fused_s += seconds_of([&] { run(fused); });
      rewritten_s += seconds_of([&] { run(mapped); });
    }
  }
  const std::int64_t passes = state.range(0) == 0 ? 1 : 3;
  if (records != kRecords * passes * state.iterations()) state.SkipWithError("the pipeline lost records");
  const double n = static_cast<double>(kRecords) * static_cast<double>(state.iterations());
  state.counters["read_records_per_s"] = n / read_s;
  state.counters["parse_loop_records_per_s"] = n / loop_s;
  state.counters["pipeline_records_per_s"] = n / pipeline_s;
  state.counters["pipeline_vs_read"] = read_s / pipeline_s;
  state.counters["frames_vs_read"] = read_s / frames_s;
  state.counters["pipeline_vs_frames"] = frames_s / pipeline_s;
  state.counters["pipeline_vs_parse_loop"] = loop_s / pipeline_s;
  if (state.range(0) != 0) {
    state.counters["rewritten_vs_fused"] = fused_s / rewritten_s;
    state.counters["rewritten_vs_written"] = pipeline_s / rewritten_s;
  }
  state.SetItemsProcessed(kRecords * state.iterations());
}

BENCHMARK(bm_parse_batch)
    ->Name("tfrecord_parse_batch")
    ->ArgName("parallelism")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace spool::bench
