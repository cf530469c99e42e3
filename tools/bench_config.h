// spool bench's flags: the options it accepts and the Config they are read into,
// apart from the command so that a fuzz target (tests/fuzz/bench_source_fuzz.cc)
// can drive the same parsing without the pipeline behind it.
//
//   po::options_description options("options");
//   add_bench_options(options);
//   ... parse_args(args, options, vm, kUsage, /*need_files=*/false) ...
//   const Config config = read_config(vm);
//
// read_config throws UsageError (exit 2) for a missing, malformed or inconsistent
// flag; a Config it returns has source_kind "tfrecord", "idx" or "images" with a
// non-empty source_arg, positive resize sides, and a finite MEAN and STD > 0.
// Thread-safety: pure functions.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "spool/data/image/resize.h"
#include "spool/data/io/compression.h"

namespace spool::cli {

struct Config {
  std::string source_kind;
  std::string source_arg;
  bool parse = false;
  bool decode = false;
  std::optional<data::ImageSize> resize;
  bool jpeg_dct_scaling = true;  // with resize: JPEGs decoded at 1/2, 1/4 or 1/8 first
  std::optional<std::pair<double, double>> normalize;  // mean, std
  std::int64_t map_parallelism = 1;
  std::int64_t shuffle = 0;  // 0: no such stage
  std::int64_t batch = 0;
  std::int64_t prefetch = 0;
  bool repeat = false;
  std::int64_t steps = -1;  // -1: one pass
  std::int64_t warmup = 0;
  double seconds = 0;   // 0: no time limit
  double interval = 0;  // 0: no interval reports
  std::int64_t readers = 1;
  data::Compression compression = data::Compression::kAuto;
  bool json = false;
};

// Adds spool bench's options (--source ... --json, --compression) to `options`.
void add_bench_options(boost::program_options::options_description& options);

// A positive count (>= min), or kAutotune for "auto" when allowed; UsageError otherwise.
std::int64_t parse_count(const boost::program_options::variables_map& vm, const std::string& flag, bool allow_auto,
                         std::int64_t min = 1);

Config read_config(const boost::program_options::variables_map& vm);

}  // namespace spool::cli
