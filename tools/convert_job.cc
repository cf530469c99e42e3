#include "convert_job.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <iostream>
#include <optional>
#include <thread>

#include "convert_output.h"
#include "job_workers.h"
#include "ordered_parallel.h"
#include "spool/data/io/example.h"
#include "spool/distribute/mpi_worker_group.h"
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
    "stderr, leaves them out and lists them in dataset_info.json under \"skipped\".\n"
    "Started by mpirun (mpirun -np K spool convert ...), worker r writes the shards s\n"
    "with s mod K = r of every split, converting only their items: the same files,\n"
    "byte for byte, as one process writes. Worker 0 alone checks and makes --out,\n"
    "writes dataset_info.json (the job's totals) and prints the summary and the bar;\n"
    "--threads defaults to the cores over the workers on the machine. An error on any\n"
    "worker ends the job with exit status 1 and the message naming the worker; nothing\n"
    "is left in --out. With --skip-errors a skipped item leaves its shard one record\n"
    "short (item k of a split still goes to shard k mod N) instead of shifting the\n"
    "items after it, so the shards then differ from one process's.";

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
  // Workers that mpirun starts on one machine share its cores.
  c.threads = std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) /
                              distribute::local_workers());
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
  // The tally of every worker's images, on every worker.
  void combine(JobWorkers& workers) {
    if (workers.size() == 1) return;
    constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();  // no image: the max ignores it
    std::array<std::int64_t, 8> v{first_ ? 1 : 0, kNone, kNone, kNone, kNone, kNone, kNone, uniform_ ? 0 : 1};
    for (std::size_t i = 0; first_ && i < 3; ++i) {
      v[1 + i] = (*first_)[i];
      v[4 + i] = -(*first_)[i];  // max of -x: the min of x
    }
    workers.max(v);
    if (v[0] == 0) return;
    first_ = {v[1], v[2], v[3]};
    uniform_ = v[7] == 0 && v[1] == -v[4] && v[2] == -v[5] && v[3] == -v[6];
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

// Where an item goes: its split and (under mpirun) its shard, k mod shards.
struct ItemPlace {
  int split = 0;
  int shard = 0;
};

// The skipped items of every worker ([item, file, error] each), in item order, as
// dataset_info.json lists them: {"file": F, "error": MESSAGE}.
json::array gather_skipped(JobWorkers& workers, const json::array& mine) {
  std::int64_t count = static_cast<std::int64_t>(mine.size());
  workers.sum(std::span(&count, 1));
  std::vector<json::array> lists;
  if (workers.size() == 1 || count == 0) {
    lists.push_back(mine);
  } else {
    for (const std::string& text : workers.all_gather(json::serialize(mine))) lists.push_back(json::parse(text).as_array());
  }
  std::vector<const json::array*> entries;
  for (const json::array& list : lists) {
    for (const json::value& entry : list) entries.push_back(&entry.as_array());
  }
  std::sort(entries.begin(), entries.end(),
            [](const json::array* a, const json::array* b) { return a->at(0).as_int64() < b->at(0).as_int64(); });
  json::array out;
  for (const json::array* e : entries) out.push_back({{"file", e->at(1)}, {"error", e->at(2)}});
  return out;
}

json::object feature_kinds() {
  return {{"image/encoded", "bytes"},    {"image/format", "bytes"},   {"image/height", "int64"},
          {"image/width", "int64"},      {"image/channels", "int64"}, {"image/class/label", "int64"},
          {"image/class/text", "bytes"}, {"image/filename", "bytes"}};
}

}  // namespace

int run_job(const Job& job, const CommonOptions& common) {
  JobWorkers workers = JobWorkers::of_launcher();
  const bool distributed = workers.size() > 1;
  const OutputShare share{workers.rank(), workers.size()};
  std::vector<SplitShards> shards;
  std::vector<ItemPlace> places;  // where each item goes (one process: its split only)
  for (std::size_t s = 0; s < job.splits.size(); ++s) {
    shards.push_back({job.splits[s].prefix, job.splits[s].shards});
    for (std::int64_t k = 0; k < job.splits[s].examples; ++k) {
      places.push_back({static_cast<int>(s), static_cast<int>(k % job.splits[s].shards)});
    }
  }
  const auto total = static_cast<std::int64_t>(places.size());
  std::vector<std::int64_t> mine;  // the items this worker converts, in order
  for (std::int64_t item = 0; item < total; ++item) {
    if (share.owns(places[static_cast<std::size_t>(item)].shard)) mine.push_back(item);
  }

  // Worker 0 alone checks and makes the folder; then every worker opens its shards.
  bool created_dir = false;
  workers.on_first([&] { created_dir = prepare_output_folder(common.out, common.overwrite); });
  const auto remove_made_folder = [&] {
    std::error_code ec;
    if (created_dir) std::filesystem::remove(common.out, ec);  // only when empty
  };
  std::optional<ConvertOutput> out;
  const auto discard_files = [&] {
    if (out) out->discard_files();
  };
  std::exception_ptr error;
  try {
    out.emplace(common.out, common.overwrite, created_dir, shards,
                data::WriterOptions().compression(common.compression), share);
  } catch (...) {
    error = std::current_exception();
  }
  workers.agree(error, discard_files, remove_made_folder);

  const InterruptGuard interrupt_guard;
  const auto n_mine = static_cast<std::int64_t>(mine.size());
  distribute::ProgressBar bar(
      std::cerr, n_mine,
      distribute::ProgressBar::Options()
          .style(distribute::ProgressBar::Style::kThroughput)
          .unit("images")
          .mode(workers.first() ? distribute::ProgressBar::Mode::kAuto : distribute::ProgressBar::Mode::kSilent));
  SizeTally sizes;
  std::vector<std::vector<std::int64_t>> class_counts(job.splits.size(),
                                                      std::vector<std::int64_t>(job.classes.size(), 0));
  json::array skipped;  // [item, file, error] of this worker's skipped items
  const std::function<Outcome(std::int64_t)> produce = [&](std::int64_t i) -> Outcome {
    const std::int64_t item = mine[static_cast<std::size_t>(i)];
    if (!common.skip_errors) return {job.convert(item), {}};
    try {
      return {job.convert(item), {}};
    } catch (const spool::Error& e) {
      return {std::nullopt, e.what()};
    }
  };
  const std::function<void(std::int64_t, Outcome &&)> consume = [&](std::int64_t i, Outcome&& outcome) {
    SPOOL_CHECK(g_interrupted == 0, Cancelled, "interrupted after ", i, " of ", n_mine, " items; ",
                spool::quoted(common.out), " is left as it was");
    const std::int64_t item = mine[static_cast<std::size_t>(i)];
    const ItemPlace place = places[static_cast<std::size_t>(item)];
    if (outcome.value) {
      // One process counts only items written (a skip shifts the rest); a worker of
      // several cannot see the others' skips, so each item keeps its shard.
      if (distributed) {
        out->write_to(place.split, place.shard, outcome.value->record);
      } else {
        out->write(place.split, outcome.value->record);
      }
      sizes.add(*outcome.value);
      ++class_counts[static_cast<std::size_t>(place.split)].at(static_cast<std::size_t>(outcome.value->label));
    } else {
      bar.clear();
      std::cerr << "spool convert: skipped " << outcome.error << '\n';
      skipped.push_back(json::array{item, job.name(item), outcome.error});
    }
    bar.update(i + 1);
  };
  const std::int64_t window = 4 * static_cast<std::int64_t>(common.threads) + 16;
  try {
    run_ordered<Outcome>(n_mine, common.threads, window, produce, consume);
  } catch (...) {
    error = std::current_exception();
  }
  bar.finish();
  workers.agree(error, discard_files, remove_made_folder);

  // The job's totals, on every worker.
  std::vector<std::vector<std::int64_t>> shard_examples = out->shard_examples();
  for (std::vector<std::int64_t>& counts : shard_examples) workers.sum(counts);
  for (std::vector<std::int64_t>& counts : class_counts) workers.sum(counts);
  sizes.combine(workers);
  const json::array all_skipped = gather_skipped(workers, skipped);

  // Every worker renames its shards; then worker 0 writes dataset_info.json.
  try {
    out->close_shards();
  } catch (...) {
    error = std::current_exception();
  }
  workers.agree(error, discard_files, remove_made_folder);

  json::object splits = splits_info(shards, shard_examples);
  std::int64_t written = 0;
  std::string per_split;
  int shard_total = 0;
  for (std::size_t s = 0; s < job.splits.size(); ++s) {
    json::object& split = splits.at(job.splits[s].prefix).as_object();
    split["class_counts"] = json::value_from(class_counts[s]);
    const std::int64_t n = split.at("examples").as_int64();
    written += n;
    shard_total += job.splits[s].shards;
    per_split += (s > 0 ? ", " : "") + job.splits[s].prefix + " " + std::to_string(n);
  }
  const json::object info{{"source", job.source},
                          {"classes", json::value_from(job.classes)},
                          {"examples", written},
                          {"splits", std::move(splits)},
                          {"shard_assignment", "round-robin"},
                          {"image_format", job.image_format},
                          {"compression", common.compression_name},
                          {"image_size", sizes.to_json()},
                          {"features", feature_kinds()},
                          {"skipped", all_skipped},
                          {"options", job.options}};
  try {
    if (workers.first()) out->write_info(info);
  } catch (...) {
    error = std::current_exception();
  }
  workers.agree(error, discard_files, remove_made_folder);
  out->keep();
  if (!workers.first()) return kExitOk;
  if (common.overwrite) out->remove_stale_shards();

  const double seconds = std::chrono::duration<double>(Clock::now() - job.started).count();
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f images/s", seconds,
                seconds > 0 ? static_cast<double>(total) / seconds : 0.0);
  std::cout << "wrote " << written << " examples (" << per_split << ") in " << shard_total << " shards to "
            << spool::quoted(common.out);
  if (!all_skipped.empty()) std::cout << ", skipped " << all_skipped.size();
  std::cout << "; " << rate << '\n';
  return kExitOk;
}

}  // namespace spool::cli
