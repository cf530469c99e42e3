#include "convert_job.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "convert_output.h"
#include "ordered_parallel.h"
#include "spool/data/io/example.h"
#include "spool/distribute/progress_bar.h"
#include "spool/tensor/error.h"

namespace spool::cli {

namespace json = boost::json;
namespace po = boost::program_options;

const std::string_view kConvertOutputHelp =
    "Each record is a tf.train.Example with TensorFlow's usual keys:\n"
    "  image/encoded      bytes   the PNG or JPEG file, or raw u8 pixels [H, W, C] row-major\n"
    "  image/format       bytes   png | jpeg | raw\n"
    "  image/height, image/width, image/channels   int64\n"
    "  image/class/label  int64   index into the class names\n"
    "  image/class/text   bytes   the class name\n"
    "  image/filename     bytes   where the image came from\n"
    "The shards are PREFIX-00000-of-00008.tfrecord in --out (compressed as --compression\n"
    "says, the names do not change); example k of a split goes to shard k mod N, in\n"
    "input order, whatever --threads is. --out also gets dataset_info.json: the\n"
    "classes, the examples per split, per class and per shard, the image format,\n"
    "compression and size (null when the images differ), and the options:\n"
    "  {\"source\": \"idx\"|\"images\", \"classes\": [NAME, ...], \"examples\": N,\n"
    "   \"splits\": {\"train\": {\"examples\": N, \"shards\": [{\"file\": \"train-00000-of-00008.tfrecord\",\n"
    "              \"examples\": N}, ...], \"class_counts\": [N, ...]}, \"validation\": {...}},\n"
    "   \"shard_assignment\": \"round-robin\", \"image_format\": F, \"compression\": C,\n"
    "   \"image_size\": {\"height\": H, \"width\": W, \"channels\": C} | null,\n"
    "   \"features\": {KEY: \"bytes\"|\"int64\", ...}, \"skipped\": [{\"file\": F, \"error\": MESSAGE}, ...],\n"
    "   \"options\": {\"command\": \"convert idx\", \"out\": DIR, ...}}\n"
    "Files appear whole or not at all: everything is written under temporary names and\n"
    "renamed at the end; on an error, Ctrl-C or SIGTERM nothing of the run is left in\n"
    "--out (exit status 1). A non-empty --out is refused unless --overwrite (which also\n"
    "removes the shards of an earlier run once the new ones are in place).\n"
    "Decoding and encoding run on --threads threads; a progress bar shows on a\n"
    "terminal (stderr), nothing otherwise; a summary line ends the run (stdout).\n"
    "Bad input (an unreadable or corrupt image, a bad IDX header) stops the run with\n"
    "exit status 1 and a message naming the file; --skip-errors reports such items on\n"
    "stderr, leaves them out and lists them in dataset_info.json under \"skipped\".";

std::string encode_image_example(const ImageRecord& image) {
  data::Example ex;
  ex.features["image/encoded"] = data::Feature::bytes({std::string(image.encoded)});
  ex.features["image/format"] = data::Feature::bytes({std::string(image.format)});
  ex.features["image/height"] = data::Feature::int64s({image.height});
  ex.features["image/width"] = data::Feature::int64s({image.width});
  ex.features["image/channels"] = data::Feature::int64s({image.channels});
  ex.features["image/class/label"] = data::Feature::int64s({image.label});
  ex.features["image/class/text"] = data::Feature::bytes({std::string(image.class_name)});
  ex.features["image/filename"] = data::Feature::bytes({std::string(image.filename)});
  return data::encode_example(ex);
}

void add_common_options(po::options_description& options) {
  options.add_options()("out", po::value<std::string>()->required()->value_name("DIR"), "the output folder")(
      "shards", po::value<int>()->value_name("N"), "shards per split (default 8, at most one per example)")(
      "compression", po::value<std::string>()->default_value("none")->value_name("C"), "none|zlib|gzip")(
      "threads", po::value<int>()->value_name("N"), "decode/encode threads (default: the cores)")(
      "overwrite", "replace the contents of a non-empty --out")(
      "skip-errors", "leave out unreadable images (reported) instead of failing")(
      "png-level", po::value<int>()->default_value(6)->value_name("L"), "compression level 0..9 of PNG files encoded");
}

CommonOptions common_options_of(const po::variables_map& vm) {
  CommonOptions c;
  c.out = vm["out"].as<std::string>();
  if (vm.count("shards") > 0) {
    c.shards = vm["shards"].as<int>();
    if (c.shards < 1 || c.shards > 99999) {
      throw UsageError("--shards " + std::to_string(c.shards) + " is not in [1, 99999]");
    }
  }
  c.compression_name = vm["compression"].as<std::string>();
  if (c.compression_name != "none" && c.compression_name != "zlib" && c.compression_name != "gzip") {
    throw UsageError("--compression '" + c.compression_name + "' is not one of none, zlib, gzip");
  }
  c.compression = data::parse_compression(c.compression_name);
  c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (vm.count("threads") > 0) {
    c.threads = vm["threads"].as<int>();
    if (c.threads < 1 || c.threads > 1024) {
      throw UsageError("--threads " + std::to_string(c.threads) + " is not in [1, 1024]");
    }
  }
  c.overwrite = vm.count("overwrite") > 0;
  c.skip_errors = vm.count("skip-errors") > 0;
  c.png_level = vm["png-level"].as<int>();
  if (c.png_level < 0 || c.png_level > 9) {
    throw UsageError("--png-level " + std::to_string(c.png_level) + " is not in [0, 9]");
  }
  return c;
}

int shards_for(const CommonOptions& common, std::int64_t examples) {
  if (common.shards > 0) return common.shards;
  return static_cast<int>(std::clamp<std::int64_t>(examples, 1, kDefaultShards));
}

json::object common_options_json(const CommonOptions& common) {
  return {{"out", common.out},
          {"compression", common.compression_name},
          {"overwrite", common.overwrite},
          {"skip_errors", common.skip_errors}};
}

namespace {

using Clock = std::chrono::steady_clock;

// A converted item, or why it was skipped (--skip-errors).
struct Outcome {
  std::optional<Converted> value;
  std::string error;
};

// The size shared by every image written, if they all have one.
class SizeTally {
 public:
  void add(const Converted& c) {
    const std::array<std::int64_t, 3> size{c.height, c.width, c.channels};
    if (!first_) first_ = size;
    uniform_ = uniform_ && *first_ == size;
  }
  json::value to_json() const {
    if (!first_ || !uniform_) return nullptr;
    return json::object{{"height", (*first_)[0]}, {"width", (*first_)[1]}, {"channels", (*first_)[2]}};
  }

 private:
  std::optional<std::array<std::int64_t, 3>> first_;
  bool uniform_ = true;
};

// Ctrl-C or kill stops the run between two items, so the temporary files are removed
// instead of being left behind by the default action (which ends the process at once).
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int /*signal*/) { g_interrupted = 1; }

class InterruptGuard {
 public:
  InterruptGuard() : old_int_(std::signal(SIGINT, on_interrupt)), old_term_(std::signal(SIGTERM, on_interrupt)) {}
  ~InterruptGuard() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

json::object feature_kinds() {
  return {{"image/encoded", "bytes"},    {"image/format", "bytes"},   {"image/height", "int64"},
          {"image/width", "int64"},      {"image/channels", "int64"}, {"image/class/label", "int64"},
          {"image/class/text", "bytes"}, {"image/filename", "bytes"}};
}

}  // namespace

int run_job(const Job& job, const CommonOptions& common) {
  std::vector<SplitShards> shards;
  std::vector<int> split_of_item;  // split index of each item
  for (std::size_t s = 0; s < job.splits.size(); ++s) {
    shards.push_back({job.splits[s].prefix, job.splits[s].shards});
    split_of_item.insert(split_of_item.end(), static_cast<std::size_t>(job.splits[s].examples), static_cast<int>(s));
  }
  const auto total = static_cast<std::int64_t>(split_of_item.size());
  ConvertOutput out(common.out, common.overwrite, shards, data::WriterOptions().compression(common.compression));

  const InterruptGuard interrupt_guard;
  distribute::ProgressBar bar(std::cerr, total,
                              distribute::ProgressBar::Options().style(distribute::ProgressBar::Style::kThroughput).unit("images"));
  SizeTally sizes;
  std::vector<std::vector<std::int64_t>> class_counts(job.splits.size(),
                                                      std::vector<std::int64_t>(job.classes.size(), 0));
  json::array skipped;
  const std::function<Outcome(std::int64_t)> produce = [&](std::int64_t item) -> Outcome {
    if (!common.skip_errors) return {job.convert(item), {}};
    try {
      return {job.convert(item), {}};
    } catch (const spool::Error& e) {
      return {std::nullopt, e.what()};
    }
  };
  const std::function<void(std::int64_t, Outcome &&)> consume = [&](std::int64_t item, Outcome&& outcome) {
    SPOOL_CHECK(g_interrupted == 0, Cancelled, "interrupted after ", item, " of ", total, " items; ",
                spool::quoted(common.out), " is left as it was");
    const int split = split_of_item[static_cast<std::size_t>(item)];
    if (outcome.value) {
      out.write(split, outcome.value->record);
      sizes.add(*outcome.value);
      ++class_counts[static_cast<std::size_t>(split)].at(static_cast<std::size_t>(outcome.value->label));
    } else {
      bar.clear();
      std::cerr << "spool convert: skipped " << outcome.error << '\n';
      skipped.push_back({{"file", job.name(item)}, {"error", outcome.error}});
    }
    bar.update(item + 1);
  };
  const std::int64_t window = 4 * static_cast<std::int64_t>(common.threads) + 16;
  run_ordered<Outcome>(total, common.threads, window, produce, consume);
  bar.finish();

  json::object splits = out.splits_info();
  std::int64_t written = 0;
  std::string per_split;
  int shard_total = 0;
  for (std::size_t s = 0; s < job.splits.size(); ++s) {
    json::object& split = splits.at(job.splits[s].prefix).as_object();
    const std::vector<std::int64_t>& counts = class_counts[s];
    split["class_counts"] = json::value_from(counts);
    const std::int64_t n = split.at("examples").as_int64();
    written += n;
    shard_total += job.splits[s].shards;
    per_split += (s > 0 ? ", " : "") + job.splits[s].prefix + " " + std::to_string(n);
  }
  json::object info{{"source", job.source},
                    {"classes", json::value_from(job.classes)},
                    {"examples", written},
                    {"splits", std::move(splits)},
                    {"shard_assignment", "round-robin"},
                    {"image_format", job.image_format},
                    {"compression", common.compression_name},
                    {"image_size", sizes.to_json()},
                    {"features", feature_kinds()},
                    {"skipped", std::move(skipped)},
                    {"options", job.options}};
  const std::size_t skipped_count = info.at("skipped").as_array().size();
  out.commit(info);

  const double seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f images/s", seconds,
                seconds > 0 ? static_cast<double>(total) / seconds : 0.0);
  std::cout << "wrote " << written << " examples (" << per_split << ") in " << shard_total << " shards to "
            << spool::quoted(common.out);
  if (skipped_count > 0) std::cout << ", skipped " << skipped_count;
  std::cout << "; " << rate << '\n';
  return kExitOk;
}

}  // namespace spool::cli
