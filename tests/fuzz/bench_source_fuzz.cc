// libFuzzer target: `spool bench`'s flags. The input is a command line, one argument
// per NUL-separated token, parsed with the command's own options (parse_args) and read
// into a Config by read_config, as run_bench does before it builds any pipeline.
//
// Contract checked: bad flags throw UsageError or a program_options error (exit 2) or
// a spool::Error (anything else escaping, a crash or a sanitizer report is a bug), and
// a Config that comes back is one the pipeline builder can trust: a known source kind
// with its argument, each stage's flag only with the source it needs, positive sizes
// and counts, finite normalization constants.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "bench_config.h"
#include "cli_common.h"
#include "fuzz_check.h"
#include "spool/data/options.h"
#include "spool/tensor/error.h"

namespace {

namespace po = boost::program_options;
using spool::cli::Config;
using spool::fuzz::check;

bool count_or_auto(std::int64_t n) { return n >= 1 || n == spool::data::kAutotune; }

void check_config(const Config& c) {
  const bool tfrecord = c.source_kind == "tfrecord", idx = c.source_kind == "idx", images = c.source_kind == "images";
  check(tfrecord || idx || images, "source kind");
  check(!c.source_arg.empty(), "source argument");
  check(!idx || c.source_arg.find(',') != std::string::npos, "idx source names IMAGES,LABELS");
  check(!c.parse || tfrecord, "--parse only with tfrecord");
  check(!c.decode || images, "--decode only with images");
  check(!c.resize || (c.decode && c.resize->height > 0 && c.resize->width > 0), "--resize positive, with --decode");
  check(!c.normalize || (idx && std::isfinite(c.normalize->first) && std::isfinite(c.normalize->second) &&
                         c.normalize->second > 0),
        "--normalize finite with STD > 0, with idx");
  check(count_or_auto(c.map_parallelism), "--map-parallelism");
  check(c.map_parallelism == 1 || c.parse || c.decode || c.normalize, "--map-parallelism only with a map");
  check(c.shuffle >= 0 && c.batch >= 0 && (c.prefetch == 0 || count_or_auto(c.prefetch)), "stage sizes");
  check(c.steps == -1 || c.steps >= 1, "--steps");
  check(c.warmup >= 0, "--warmup");
  check(c.seconds >= 0 && c.seconds <= 366 * 86400.0 && c.interval >= 0 && c.interval <= 366 * 86400.0,
        "--seconds and --interval finite, >= 0");
  check(c.readers >= 1 && (c.readers == 1 || tfrecord), "--readers positive, with tfrecord");
  check(!c.repeat || c.steps >= 1 || c.seconds > 0, "--repeat only with --steps or --seconds");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // --help prints the usage to stdout on every input that asks for it: silence it.
  std::cout.setstate(std::ios::badbit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  spool::cli::Args args;
  for (std::size_t start = 0; start <= bytes.size();) {
    const std::size_t end = std::min(bytes.find('\0', start), bytes.size());
    args.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  try {
    po::options_description options("options");
    spool::cli::add_bench_options(options);
    po::variables_map vm;
    if (!spool::cli::parse_args(args, options, vm, "usage", /*need_files=*/false)) return 0;
    check_config(spool::cli::read_config(vm));
  } catch (const spool::cli::UsageError&) {
  } catch (const po::error&) {
  } catch (const spool::Error&) {
  }
  return 0;
}
