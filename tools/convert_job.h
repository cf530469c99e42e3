// What `spool convert idx` and `spool convert images` share: the options every
// convert takes, the tf.train.Example of one image, and run_job, which converts the
// items in parallel, writes them in order to round-robin shards and commits the
// output folder with its dataset_info.json (convert_output.h).
//
//   Job job;                       // classes, splits, image format, options for the info file
//   job.convert = [&](std::int64_t item) { ...; return Converted{record, ...}; };
//   return run_job(job, common);
//
// Items are numbered across the splits in order (split 0's items first). Item k of a
// split goes to shard (k mod shards) of that split, counting only items written, so
// the shards' contents are a function of the inputs and options, never of the
// number of threads.
//
// Under mpirun with K > 1 workers (job_workers.h), worker r writes the shards s with
// s mod K = r and converts only their items, so the files are byte for byte one
// process's. A worker cannot see the others' skips (--skip-errors): there item k of a
// split goes to shard k mod shards whether or not an earlier item was skipped, and a
// skipped item leaves its shard one record short. Worker 0 checks and makes the
// folder; after the loop the workers agree (one failed: all discard, and the job ends
// with its error named), rename their shards, agree again; worker 0 writes
// dataset_info.json from the totals summed over the workers and prints the summary.
// Every worker must build the same Job (the same files, in the same order).
// Thread-safety: run_job calls job.convert from several threads at once.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli_common.h"
#include "spool/data/io/compression.h"

namespace spool::cli {

// One converted item: the encoded tf.train.Example and what dataset_info.json counts.
struct Converted {
  std::string record;
  std::int64_t label = 0;
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t channels = 0;
};

// The features of one image record (TensorFlow's usual keys, see kConvertFeatures).
struct ImageRecord {
  std::string_view encoded;  // the PNG or JPEG file, or raw u8 pixels [H, W, C] row-major
  std::string_view format;   // "png", "jpeg", "raw"
  std::int64_t height = 0;
  std::int64_t width = 0;
  std::int64_t channels = 0;
  std::int64_t label = 0;
  std::string_view class_name;
  std::string_view filename;
};
std::string encode_image_example(const ImageRecord& image);

// The --help paragraph describing the records and the output folder.
extern const std::string_view kConvertOutputHelp;

struct ConvertSplit {
  std::string prefix;         // shard prefix and split name: train, validation, test
  std::int64_t examples = 0;  // items in this split
  int shards = 1;
};

struct Job {
  std::string source;  // "idx" or "images", for dataset_info.json
  std::vector<std::string> classes;
  std::vector<ConvertSplit> splits;
  std::string image_format;                             // png, jpeg, raw
  boost::json::object options;                          // the command's options, for dataset_info.json
  std::function<Converted(std::int64_t item)> convert;  // called concurrently
  std::function<std::string(std::int64_t item)> name;   // the item's file, for skip reports
  // When the command started: the summary's rate covers listing files and reading IDX too.
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

struct CommonOptions {
  std::string out;
  int shards = 0;  // 0: not given (kDefaultShards, at most one per example)
  data::Compression compression = data::Compression::kNone;
  std::string compression_name = "none";
  int threads = 1;
  bool overwrite = false;
  bool skip_errors = false;
  int png_level = 6;  // zlib level of the PNG files it encodes
};
inline constexpr int kDefaultShards = 8;

// --out, --shards, --compression, --threads, --overwrite, --skip-errors, --png-level.
void add_common_options(boost::program_options::options_description& options);
CommonOptions common_options_of(const boost::program_options::variables_map& vm);
// The shard count for `examples` items: --shards when given, else kDefaultShards
// capped at the number of examples (at least 1).
int shards_for(const CommonOptions& common, std::int64_t examples);
// The common options as JSON, for Job::options.
boost::json::object common_options_json(const CommonOptions& common);

// Runs the job (this worker's share of it under mpirun), prints the summary line on
// stdout (worker 0); returns kExitOk. Errors propagate after the output folder is
// cleaned up (on every worker: a worker that did not fail throws QuietExit).
int run_job(const Job& job, const CommonOptions& common);

int run_convert_idx(const Args& args);     // convert_idx.cc
int run_convert_images(const Args& args);  // convert_images.cc

}  // namespace spool::cli
