#include "bench_config.h"

#include <cmath>
#include <exception>
#include <string>

#include "cli_common.h"
#include "spool/data/options.h"

namespace spool::cli {

namespace po = boost::program_options;

void add_bench_options(po::options_description& options) {
  options.add_options()  //
      ("source", po::value<std::string>()->value_name("KIND:WHERE"), "tfrecord:GLOB, idx:IMAGES,LABELS or images:DIR")  //
      ("parse", po::value<std::string>()->value_name("example"), "parse records as tf.train.Example (inferred spec)")  //
      ("normalize", po::value<std::string>()->value_name("MEAN,STD"), "idx: image to f32 (x/255 - MEAN)/STD")  //
      ("decode", "decode PNG/JPEG images (images source) to u8 RGB")  //
      ("resize", po::value<std::string>()->value_name("WxH"), "with --decode: resize to WxH (bilinear) as f32 in [0,1]")  //
      ("no-jpeg-dct-scaling", "with --resize: decode JPEGs at full size, never at 1/2, 1/4 or 1/8")  //
      ("map-parallelism", po::value<std::string>()->value_name("N|auto"), "worker threads of the map")  //
      ("shuffle", po::value<std::string>()->value_name("N"), "shuffle buffer of N elements (seed 0)")  //
      ("batch", po::value<std::string>()->value_name("N"), "batches of N (the last may be smaller)")  //
      ("prefetch", po::value<std::string>()->value_name("N|auto"), "prefetch N elements on a thread")  //
      ("repeat", "repeat the source forever (needs --steps)")  //
      ("steps", po::value<std::string>()->value_name("N"), "measure N batches (elements without --batch)")  //
      ("seconds", po::value<std::string>()->value_name("S"), "measure for S seconds at most")  //
      ("interval", po::value<std::string>()->value_name("S"), "also report the rate every S seconds")  //
      ("readers", po::value<std::string>()->value_name("N"), "tfrecord: read N files at once (num_parallel_reads)")  //
      ("warmup", po::value<std::string>()->value_name("N"), "steps run before timing starts (default 0)")  //
      ("json", "print one JSON object");
  add_compression_option(options);
}

std::int64_t parse_count(const po::variables_map& vm, const std::string& flag, bool allow_auto, std::int64_t min) {
  const std::string text = vm[flag].as<std::string>();
  if (allow_auto && text == "auto") return data::kAutotune;
  std::size_t used = 0;
  std::int64_t n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || n < min) {
    throw UsageError("--" + flag + " '" + text + "' is not " + (min == 0 ? "a count >= 0" : "a positive count") +
                     (allow_auto ? " or auto" : ""));
  }
  return n;
}

namespace {

// A positive, finite number of seconds (at most a year); UsageError otherwise.
double parse_seconds(const po::variables_map& vm, const std::string& flag) {
  const std::string text = vm[flag].as<std::string>();
  std::size_t used = 0;
  double s = 0;
  try {
    s = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !(s > 0 && s <= 366 * 86400.0)) {
    throw UsageError("--" + flag + " '" + text + "' is not a number of seconds > 0");
  }
  return s;
}

}  // namespace

Config read_config(const po::variables_map& vm) {
  Config c;
  if (vm.count("source") == 0) throw UsageError("--source is required (see --help)");
  const std::string source = vm["source"].as<std::string>();
  const std::size_t colon = source.find(':');
  c.source_kind = source.substr(0, colon);
  if (colon == std::string::npos || colon + 1 == source.size() ||
      (c.source_kind != "tfrecord" && c.source_kind != "idx" && c.source_kind != "images")) {
    throw UsageError("--source '" + source + "' is not tfrecord:GLOB, idx:IMAGES,LABELS or images:DIR");
  }
  c.source_arg = source.substr(colon + 1);
  if (c.source_kind == "idx" && c.source_arg.find(',') == std::string::npos) {
    throw UsageError("--source '" + source + "': idx needs IMAGES,LABELS");
  }
  if (vm.count("parse") > 0) {
    const std::string parse = vm["parse"].as<std::string>();
    if (parse != "example") throw UsageError("--parse '" + parse + "' is not 'example'");
    if (c.source_kind != "tfrecord") throw UsageError("--parse example needs a tfrecord source");
    c.parse = true;
  }
  if (vm.count("normalize") > 0) {
    const std::string text = vm["normalize"].as<std::string>();
    const std::size_t comma = text.find(',');
    double mean = 0, stddev = 0;
    std::size_t used_mean = 0, used_std = 0;
    try {
      mean = std::stod(text.substr(0, comma), &used_mean);
      if (comma != std::string::npos) stddev = std::stod(text.substr(comma + 1), &used_std);
    } catch (const std::exception&) {
      used_std = 0;
    }
    if (comma == std::string::npos || used_mean != comma || used_std != text.size() - comma - 1 || !(stddev > 0)) {
      throw UsageError("--normalize '" + text + "' is not MEAN,STD with STD > 0");
    }
    // std::stod reads "nan" and "inf" too: every pixel would come out NaN (or 0).
    if (!std::isfinite(mean) || !std::isfinite(stddev)) {
      throw UsageError("--normalize '" + text + "': MEAN and STD must be finite numbers");
    }
    if (c.source_kind != "idx") throw UsageError("--normalize needs an idx source (u8 images)");
    c.normalize = std::make_pair(mean, stddev);
  }
  if (vm.count("decode") > 0) {
    if (c.source_kind != "images") throw UsageError("--decode needs an images:DIR source");
    c.decode = true;
  }
  if (vm.count("resize") > 0) {
    const std::string text = vm["resize"].as<std::string>();
    const std::size_t x = text.find('x');
    std::int64_t w = 0, h = 0;
    std::size_t used_w = 0, used_h = 0;
    try {
      if (x != std::string::npos) {
        w = std::stoll(text.substr(0, x), &used_w);
        h = std::stoll(text.substr(x + 1), &used_h);
      }
    } catch (const std::exception&) {
      used_h = 0;
    }
    if (x == std::string::npos || used_w != x || used_h != text.size() - x - 1 || w <= 0 || h <= 0) {
      throw UsageError("--resize '" + text + "' is not WxH with positive sizes");
    }
    if (!c.decode) throw UsageError("--resize needs --decode (it resizes decoded images)");
    c.resize = data::ImageSize{h, w};
  }
  if (vm.count("no-jpeg-dct-scaling") > 0) {
    if (!c.resize) throw UsageError("--no-jpeg-dct-scaling needs --resize (only a resize scales in the DCT domain)");
    c.jpeg_dct_scaling = false;
  }
  if (vm.count("map-parallelism") > 0) {
    c.map_parallelism = parse_count(vm, "map-parallelism", /*allow_auto=*/true);
    if (!c.parse && !c.normalize && !c.decode) {
      throw UsageError("--map-parallelism needs a map: --parse, --decode or --normalize");
    }
  }
  if (vm.count("shuffle") > 0) c.shuffle = parse_count(vm, "shuffle", false);
  if (vm.count("batch") > 0) c.batch = parse_count(vm, "batch", false);
  if (vm.count("prefetch") > 0) c.prefetch = parse_count(vm, "prefetch", true);
  if (vm.count("steps") > 0) c.steps = parse_count(vm, "steps", false);
  if (vm.count("warmup") > 0) c.warmup = parse_count(vm, "warmup", false, /*min=*/0);
  if (vm.count("seconds") > 0) c.seconds = parse_seconds(vm, "seconds");
  if (vm.count("interval") > 0) c.interval = parse_seconds(vm, "interval");
  if (vm.count("readers") > 0) {
    c.readers = parse_count(vm, "readers", false);
    if (c.source_kind != "tfrecord") throw UsageError("--readers needs a tfrecord source");
  }
  c.repeat = vm.count("repeat") > 0;
  if (c.repeat && c.steps < 0 && c.seconds == 0) {
    throw UsageError("--repeat without --steps or --seconds would run forever");
  }
  c.compression = compression_of(vm);
  c.json = vm.count("json") > 0;
  return c;
}

}  // namespace spool::cli
