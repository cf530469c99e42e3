// spool bench: builds an input pipeline from flags, runs it and prints its
// throughput, the time to its first batch and what each stage did (or one JSON
// object with the same figures).
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench_config.h"
#include "cli_common.h"
#include "job_workers.h"
#include "json_lines.h"
#include "spool/data/auto_shard.h"
#include "spool/data/dataset.h"
#include "spool/data/io/feature_view.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/image/color.h"
#include "spool/data/image/resize.h"
#include "spool/data/ops/parse_example_fn.h"
#include "spool/data/sources/idx_dataset.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "spool/data/sources/list_files.h"
#include "spool/data/sources/tfrecord_dataset.h"
#include "spool/tensor/error.h"
#include "subcommands.h"

namespace spool::cli {
namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUsage =
    "usage: spool bench --source tfrecord:GLOB | idx:IMAGES,LABELS | images:DIR\n"
    "                   [--parse example] [--decode [--resize WxH [--no-jpeg-dct-scaling]]]\n"
    "                   [--normalize MEAN,STD]\n"
    "                   [--map-parallelism N|auto]\n"
    "                   [--shuffle N] [--batch N] [--prefetch N|auto] [--repeat]\n"
    "                   [--steps N] [--seconds S] [--interval S] [--warmup N]\n"
    "                   [--readers N] [--compression C] [--json]\n"
    "\n"
    "Builds an input pipeline, runs it and prints elements/s, batches/s and MB/s, the\n"
    "time to the first batch and the per-stage table. The stages come in the order\n"
    "tf.data's guide recommends, each only when its flag is given:\n"
    "  source -> shuffle(N) -> repeat -> map (parse_example, decode or normalize) -> batch(N)\n"
    "         -> prefetch(N)\n"
    "Shuffling before the map keeps records (or views of the IDX tensors) in the\n"
    "buffer rather than parsed or float copies; repeat after shuffle reshuffles each\n"
    "epoch; the map runs on every epoch's elements.\n"
    "Sources: tfrecord:GLOB reads the records of the files the glob matches, in sorted\n"
    "order; idx:IMAGES,LABELS reads Fashion-MNIST-style IDX files (gzip or raw) as\n"
    "{image u8[rows,cols], label i64}; images:DIR reads a folder of class sub-folders\n"
    "as {image (the file's bytes), label, path}.\n"
    "--parse example parses each record as a tf.train.Example. The spec is inferred\n"
    "from the first record: every feature with a kind, in the order the record stores\n"
    "them, as VarLen of its kind (bytes features add KEY/byte_lengths). Batching needs\n"
    "every record to hold the same number of values (and bytes) per feature.\n"
    "--normalize MEAN,STD (idx only) maps image to f32 (x / 255 - MEAN) / STD.\n"
    "--map-parallelism sets the map's worker threads (1, the default, maps inline).\n"
    "--decode (images only) decodes each PNG or JPEG file to u8 [height,width,3] (RGB, as\n"
    "Keras' default color_mode) and yields {image, label}; batching then needs images of\n"
    "one size. --resize WxH (with --decode) then resizes each image to WxH with bilinear\n"
    "interpolation (tf.image.resize) and converts it to f32 in [0,1]: decode -> resize ->\n"
    "f32. A JPEG is then decoded at the smallest of 1/2, 1/4 or 1/8 of its size that is\n"
    "still at least WxH, in the DCT domain (much cheaper than a full decode, and a few\n"
    "levels off its pixels, as TensorFlow's decode_jpeg ratio); --no-jpeg-dct-scaling\n"
    "decodes it fully first.\n"
    "\n"
    "--steps N counts what the pipeline delivers: batches with --batch, elements\n"
    "without. Without --steps the run is one pass (--repeat then needs --steps).\n"
    "--seconds S ends the measurement after S seconds (or at --steps, or at the end of\n"
    "the data, whichever comes first); --repeat needs --steps or --seconds. --interval S\n"
    "also prints the rate of each S seconds as it goes (\"after 60.0 s: 123456 elements/s\n"
    "over the last 60.0 s\"; with --json, an \"intervals\" list of {\"seconds\":END,\n"
    "\"elements\":N, \"elements_per_sec\":R}), so that a long run shows whether its\n"
    "rate holds. --readers N (tfrecord) reads N files at once on threads of their own\n"
    "and takes a record from each in turn (TFRecordDataset's num_parallel_reads).\n"
    "--warmup N delivers N steps first and leaves them out of the figures; timing starts\n"
    "after them (without warmup it starts before the iterator is made, so it includes\n"
    "the time to the first batch). The stage table covers the whole run, warmup too.\n"
    "elements counts examples (for batches, the first component's extent on axis 0);\n"
    "bytes counts the bytes of the elements the pipeline delivers.\n"
    "\n"
    "--json prints one object:\n"
    "  {\"elements\":N, \"batches\":N, \"seconds\":S, \"elements_per_sec\":R,\n"
    "   \"batches_per_sec\":R, \"bytes_per_sec\":R, \"first_batch_seconds\":S,\n"
    "   \"setup_seconds\":S, \"pipeline\":\"...\", \"skipped_errors\":N,\n"
    "   \"peak_buffered_bytes\":N, \"memory_note\":\"...\" (\"\" or what a reordered pipeline\n"
    "   would not buffer), \"stages\":[{\"name\":..., \"elements\":N,\n"
    "   \"self_seconds\":S, \"wait_seconds\":S, \"bytes\":N, \"skipped_errors\":N}, ...]}\n"
    "setup_seconds is the time to make the Dataset (globbing, decoding IDX files).\n"
    "\"workers\":K and \"sharding\":REASON say how the input was split (1 and \"off: one\n"
    "worker\" in one process).\n"
    "\n"
    "Started by mpirun (mpirun -np K spool bench ...), each worker runs its share of the\n"
    "source, taken before shuffle, map and batch by tf.data's AUTO shard policy (FILE:\n"
    "every K-th file when there are at least K files, else DATA: every K-th element);\n"
    "worker 0 prints the job's figures: elements, batches and bytes summed over the\n"
    "workers, seconds (first batch, setup) of the slowest, rates from those, and its own\n"
    "stage table; the text output adds a workers: line. An error on any worker ends the\n"
    "job with exit status 1 and the message naming the worker.\n"
    "\n"
    "Exit status: 0; 1 when the data cannot be read or does not fit the pipeline (the\n"
    "library's message); 2 for bad usage.";

// Each feature with a kind, in the first record's order, as VarLen of that kind.
data::FeatureSpec infer_spec(const std::vector<std::string>& files, data::Compression compression) {
  for (const std::string& file : files) {
    data::TFRecordReader reader(file, data::RecordOptions().compression(compression));
    const std::optional<data::Record> record = reader.next();
    if (!record) continue;
    std::vector<std::string> keys;
    std::map<std::string, data::FeatureKind, std::less<>> kinds;  // a repeated key: the last kind wins
    data::for_each_feature(record->view(), [&](std::string_view key, const data::FeatureView& feature) {
      if (feature.kind() == data::FeatureKind::kNone) return;
      const auto [it, added] = kinds.insert_or_assign(std::string(key), feature.kind());
      if (added) keys.push_back(it->first);
    });
    SPOOL_CHECK(!keys.empty(), DataLossError, "--parse example: the first record of '", file,
                "' has no features to infer a spec from");
    data::FeatureSpec spec;
    for (const std::string& key : keys) {
      switch (kinds[key]) {
        case data::FeatureKind::kBytes: spec.add(key, data::VarLen::bytes()); break;
        case data::FeatureKind::kFloat: spec.add(key, data::VarLen::float32()); break;
        default: spec.add(key, data::VarLen::int64()); break;
      }
    }
    return spec;
  }
  SPOOL_THROW(DataLossError, "--parse example: no records to infer a spec from in ", files.size(), " files");
}

// image -> f32 (x / 255 - mean) / std, as one multiply-add per pixel.
data::MapFn normalize_fn(double mean, double stddev) {
  return data::rescale_fn(static_cast<float>(1.0 / (255.0 * stddev)), -static_cast<float>(mean / stddev), "image");
}

// {image (file bytes), label, path} -> {image u8[h,w,3], label}: the path is dropped so
// that decoded images of one size batch. With a size: -> {image f32[h,w,3] in [0,1], label},
// decoded and resized as ImageFolderDataset(decode(true).image_size(size)) does.
data::MapFn decode_fn(std::optional<data::ImageSize> size, bool jpeg_dct_scaling) {
  data::ImageFolderOptions options;
  if (size) options.image_size(*size).jpeg_dct_scaling(jpeg_dct_scaling);
  return [options](data::Element e) {
    Tensor image = data::decode_image_file(e["image"].as_string_view(), e["path"].as_string_view(), options);
    if (options.image_size()) image = data::rescale(image, 1.0f / 255.0f);
    return data::Element({std::move(image), e["label"]}, {"image", "label"});
  };
}

std::string count_text(std::int64_t n) { return n == data::kAutotune ? "auto" : std::to_string(n); }

// How the job's workers split the input: the auto_shard reason, or "off: one worker".
struct Sharding {
  int workers = 1;
  int rank = 0;
  std::string reason = "off: one worker";
};

// The Dataset the flags describe (this worker's share of its source), and a one-line
// description of it.
data::Dataset build(const Config& c, std::string& description, Sharding& sharding) {
  std::optional<data::Dataset> ds;
  data::MapFn map_fn;
  if (c.source_kind == "tfrecord") {
    const std::vector<std::string> files = data::glob_files(c.source_arg);
    ds = data::TFRecordDataset(files, data::RecordOptions().compression(c.compression), c.readers);
    description = "tfrecord(" + std::to_string(files.size()) + " files" +
                  (c.readers > 1 ? ", " + std::to_string(c.readers) + " readers" : "") + ")";
    if (c.parse) map_fn = data::parse_example(infer_spec(files, c.compression));
  } else if (c.source_kind == "idx") {
    const std::size_t comma = c.source_arg.find(',');
    ds = data::IdxDataset(c.source_arg.substr(0, comma), c.source_arg.substr(comma + 1));
    description = "idx";
    if (c.normalize) map_fn = normalize_fn(c.normalize->first, c.normalize->second);
  } else {
    ds = data::ImageFolderDataset(c.source_arg);
    description = "images";
    if (c.decode) map_fn = decode_fn(c.resize, c.jpeg_dct_scaling);
  }
  if (sharding.workers > 1) {
    // Before shuffle, map and batch, as tf.data shards a multi-worker input.
    data::AutoShard mine = data::auto_shard(*ds, sharding.workers, sharding.rank);
    ds = std::move(mine.dataset);
    sharding.reason = mine.reason;
  }
  if (c.shuffle > 0) {
    ds = ds->shuffle(c.shuffle, /*seed=*/0);
    description += " -> shuffle(" + std::to_string(c.shuffle) + ")";
  }
  if (c.repeat) {
    ds = ds->repeat();
    description += " -> repeat";
  }
  if (map_fn) {
    const std::string name = c.parse ? "parse_example" : c.decode ? "decode" : "normalize";
    ds = ds->map(map_fn, data::MapOptions().parallelism(c.map_parallelism).name(name));
    const std::string resized =
        c.resize ? ", resize " + std::to_string(c.resize->width) + "x" + std::to_string(c.resize->height) + " f32" +
                       (c.jpeg_dct_scaling ? "" : ", full JPEG decode")
                 : "";
    description += " -> " + name + "(parallelism " + count_text(c.map_parallelism) + resized + ")";
  }
  if (c.batch > 0) {
    ds = ds->batch(c.batch);
    description += " -> batch(" + std::to_string(c.batch) + ")";
  }
  if (c.prefetch != 0) {
    ds = ds->prefetch(c.prefetch);
    description += " -> prefetch(" + count_text(c.prefetch) + ")";
  }
  return *ds;
}

// The rate over one --interval: elements delivered in the interval ending `end`
// seconds into the measurement.
struct Interval {
  double end = 0;
  double seconds = 0;
  std::int64_t elements = 0;
};

struct Result {
  std::vector<Interval> intervals;
  std::int64_t elements = 0;
  std::int64_t batches = 0;
  std::int64_t bytes = 0;
  double seconds = 0;
  double first_batch_seconds = 0;
  double setup_seconds = 0;
  data::PipelineStats stats;
};

double per_second(double count, double seconds) { return seconds > 0 ? count / seconds : 0.0; }

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Runs the pipeline; with `print_intervals`, each --interval's line goes to stdout as
// soon as it ends.
Result run(const data::Dataset& ds, const Config& c, bool print_intervals) {
  Result r;
  const Clock::time_point made = Clock::now();
  Clock::time_point start = made;
  data::Iterator it = ds.make_iterator();
  Interval open;  // the interval under way: its end is where the last one ended
  const auto close_interval = [&](double now) {
    open.seconds = now - open.end;
    open.end = now;
    r.intervals.push_back(open);
    if (print_intervals) {
      std::printf("after %.1f s: %.0f elements/s over the last %.1f s\n", now,
                  per_second(static_cast<double>(open.elements), open.seconds), open.seconds);
      std::fflush(stdout);
    }
    open.elements = 0;
  };
  for (std::int64_t delivered = 0; c.steps < 0 || delivered < c.warmup + c.steps;) {
    std::optional<data::Element> e = it.next();
    if (delivered == 0 && e) r.first_batch_seconds = seconds_between(made, Clock::now());
    if (!e) break;
    if (++delivered <= c.warmup) {
      if (delivered == c.warmup) start = Clock::now();
      continue;
    }
    ++r.batches;
    const std::int64_t elements = c.batch > 0 && !e->empty() && (*e)[0].rank() > 0 ? (*e)[0].dim(0) : 1;
    r.elements += elements;
    open.elements += elements;
    r.bytes += e->byte_size();
    if (c.seconds > 0 || c.interval > 0) {
      const double now = seconds_between(start, Clock::now());
      if (c.interval > 0 && now >= open.end + c.interval) close_interval(now);
      if (c.seconds > 0 && now >= c.seconds) break;
    }
  }
  r.seconds = seconds_between(start, Clock::now());
  if (c.interval > 0 && open.elements > 0) close_interval(r.seconds);
  r.stats = it.stats();
  return r;
}

void print_json(const Result& r, const std::string& description, const Sharding& sharding) {
  json::array stages;
  std::int64_t skipped = 0;
  for (const data::StageStats& s : r.stats.stages) {
    stages.push_back(json::object{{"name", s.name},
                                  {"elements", s.elements},
                                  {"self_seconds", s.self_seconds},
                                  {"wait_seconds", s.wait_seconds},
                                  {"bytes", s.bytes},
                                  {"skipped_errors", s.skipped_errors}});
    skipped += s.skipped_errors;
  }
  json::object out{{"elements", r.elements},
                   {"batches", r.batches},
                   {"seconds", r.seconds},
                   {"elements_per_sec", per_second(static_cast<double>(r.elements), r.seconds)},
                   {"batches_per_sec", per_second(static_cast<double>(r.batches), r.seconds)},
                   {"bytes_per_sec", per_second(static_cast<double>(r.bytes), r.seconds)},
                   {"first_batch_seconds", r.first_batch_seconds},
                   {"setup_seconds", r.setup_seconds},
                   {"pipeline", utf8_or_replaced(description)},
                   {"skipped_errors", skipped},
                   {"peak_buffered_bytes", r.stats.peak_buffered_bytes},
                   {"memory_note", r.stats.memory_note()},
                   {"stages", std::move(stages)},
                   {"workers", sharding.workers},
                   {"sharding", utf8_or_replaced(sharding.reason)}};
  if (!r.intervals.empty()) {
    json::array intervals;
    for (const Interval& i : r.intervals) {
      intervals.push_back(json::object{{"seconds", i.end},
                                       {"elements", i.elements},
                                       {"elements_per_sec", per_second(static_cast<double>(i.elements), i.seconds)}});
    }
    out["intervals"] = std::move(intervals);
  }
  std::cout << json::serialize(out) << '\n';
}

void print_text(const Result& r, const std::string& description, const Sharding& sharding) {
  const auto rate = [&](double count) { return per_second(count, r.seconds); };
  char line[256];
  std::snprintf(line, sizeof line,
                "%lld elements, %lld batches in %.3f s: %.0f elements/s, %.1f batches/s, %.1f MB/s\n",
                static_cast<long long>(r.elements), static_cast<long long>(r.batches), r.seconds,
                rate(static_cast<double>(r.elements)), rate(static_cast<double>(r.batches)),
                rate(static_cast<double>(r.bytes)) / 1e6);
  std::cout << "pipeline: " << description << '\n';
  if (sharding.workers > 1) {
    std::cout << "workers: " << sharding.workers << " (" << sharding.reason
              << "); elements and bytes summed over them, seconds of the slowest, stages of worker 0\n";
  }
  std::cout << line;
  std::snprintf(line, sizeof line, "first batch after %.4f s (setup %.4f s)\n", r.first_batch_seconds,
                r.setup_seconds);
  std::cout << line << r.stats;
}

}  // namespace

int run_bench(const Args& args) {
  return run_command("bench", [&] {
    po::options_description options("options");
    add_bench_options(options);
    po::variables_map vm;
    if (!parse_args(args, options, vm, kUsage, /*need_files=*/false)) return kExitOk;
    const Config config = read_config(vm);
    // From here on every library error is about the data (or the files): exit 1, even
    // when the library calls it an InvalidArgument (a record that does not parse or
    // batch against the inferred spec).
    JobWorkers workers = JobWorkers::of_launcher();
    try {
      Sharding sharding{workers.size(), workers.rank()};
      std::string description;
      Result result;
      std::exception_ptr error;
      try {
        const Clock::time_point t0 = Clock::now();
        const data::Dataset ds = build(config, description, sharding);
        const double setup = seconds_between(t0, Clock::now());
        result = run(ds, config, /*print_intervals=*/!config.json && workers.first());
        result.setup_seconds = setup;
      } catch (...) {
        error = std::current_exception();
      }
      // One worker's error ends every worker (named on the one that failed).
      workers.agree(error, [] {});
      std::array<std::int64_t, 3> counts{result.elements, result.batches, result.bytes};
      workers.sum(counts);
      result.elements = counts[0];
      result.batches = counts[1];
      result.bytes = counts[2];
      result.seconds = workers.max(result.seconds);
      result.first_batch_seconds = workers.max(result.first_batch_seconds);
      result.setup_seconds = workers.max(result.setup_seconds);
      if (!workers.first()) return kExitOk;
      if (config.json) {
        print_json(result, description, sharding);
      } else {
        print_text(result, description, sharding);
      }
    } catch (const spool::Error& e) {
      std::cerr << "spool bench: " << e.what() << '\n';
      return kExitDataError;
    }
    return kExitOk;
  });
}

}  // namespace spool::cli
