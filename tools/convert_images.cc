// spool convert images: a folder of class sub-folders of PNG and JPEG files (as
// ImageFolderDataset reads it) -> TFRecord shards of tf.train.Example images
// (convert_job.h), optionally split into train and validation as ImageFolderDataset's
// validation_split/subset/seed split it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "convert_job.h"
#include "spool/data/image/color.h"
#include "spool/data/image/decode_image.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "spool/data/image/resize.h"
#include "spool/data/io/read_file.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "spool/tensor/error.h"

namespace spool::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: spool convert images --from DIR --out DIR [--shards N] [--resize WxH]\n"
    "                            [--format png|jpeg|raw] [--quality Q] [--channels C]\n"
    "                            [--compression none|zlib|gzip] [--validation-split F --seed S]\n"
    "                            [--validation-shards N] [--threads N] [--overwrite] [--skip-errors]\n"
    "\n"
    "Converts a folder with one sub-folder per class (horses-vs-humans style) to TFRecord\n"
    "shards. The classes, labels and files are ImageFolderDataset's: the sorted\n"
    "sub-folder names, their index, files ending in png, jpg or jpeg (any case), also in\n"
    "nested folders. Without a split every file goes to the train shards in that order\n"
    "(class by class, sorted). With --validation-split F --seed S the files are split\n"
    "exactly as ImageFolderDataset(DIR, validation_split(F).subset(...).seed(S)) splits\n"
    "them: train-* holds the \"training\" subset, validation-* the \"validation\" one,\n"
    "each in the dataset's split order; --validation-shards (default: --shards times F,\n"
    "rounded, at least 1) sets the validation shard count.\n"
    "--format png (the default), jpeg or raw (u8 pixels [H, W, C]). An image already in\n"
    "the output format, not resized and with the channels asked for, is stored as the\n"
    "original file's bytes, unchanged (no re-encode); it is still decoded once to check\n"
    "it unless --no-verify. Other images are decoded (channels as stored, or --channels\n"
    "1|3|4; JPEG output takes gray or RGB: alpha is dropped), resized when --resize asks\n"
    "(data/image/resize.h: bilinear as TensorFlow 2's tf.image.resize, half-pixel centres,\n"
    "no antialias; the f32 result rounded to nearest, halves away from zero, and clamped\n"
    "to [0, 255]) and encoded: PNG at --png-level, JPEG at --quality (default 95, 4:2:0).\n"
    "image/filename is the file's path relative to --from, e.g. \"horses/horse01-0.png\".\n"
    "\n";

struct ImageOptions {
  std::string format;  // png, jpeg, raw
  int quality = 95;
  int png_level = 6;
  int channels = 0;                                             // 0: as stored
  std::optional<std::pair<std::int64_t, std::int64_t>> resize;  // height, width
  bool verify = true;
};

// "150x150" -> {150, 150} (height, width: W x H as written).
std::pair<std::int64_t, std::int64_t> parse_size(const std::string& text) {
  std::int64_t width = 0;
  std::int64_t height = 0;
  char x = 0;
  char rest = 0;
  const int got = std::sscanf(text.c_str(), "%ld%c%ld%c", &width, &x, &height, &rest);
  if (got != 3 || (x != 'x' && x != 'X') || width < 1 || height < 1 || width > 65536 || height > 65536) {
    throw UsageError("--resize '" + text + "' is not WxH with sides in [1, 65536], e.g. 150x150");
  }
  return {height, width};
}

// The channels decoding gives when asked for `wanted` (0: as stored).
int decoded_channels(const data::ImageInfo& info, int wanted) {
  if (wanted != 0) return wanted;
  return info.format == data::ImageFormat::kJpeg && info.channels == 4 ? 3 : info.channels;  // CMYK -> RGB
}

Converted convert_image(const ImageOptions& o, const std::string& path, const std::string& filename, std::int64_t label,
                        const std::string& class_name) {
  const Tensor file = data::read_file(path);
  const std::string_view bytes = file.as_string_view();
  const data::ImageInfo info = data::read_image_info(bytes, path);
  int wanted = o.channels;
  if (o.format == "jpeg" && wanted == 0) wanted = info.channels <= 2 ? 1 : 3;
  const bool same_format = (o.format == "png" && info.format == data::ImageFormat::kPng) ||
                           (o.format == "jpeg" && info.format == data::ImageFormat::kJpeg);
  const int stored = decoded_channels(info, 0);
  if (same_format && !o.resize && (wanted == 0 || wanted == stored)) {
    if (o.verify) data::decode_image(bytes, path);
    ImageRecord record{bytes, o.format, info.height, info.width, stored, label, class_name, filename};
    return {encode_image_example(record), label, info.height, info.width, stored};
  }
  Tensor image = data::decode_image(bytes, path, data::DecodeOptions().channels(wanted));
  if (o.resize) image = data::round_to_u8(data::resize(image, {o.resize->first, o.resize->second}));
  std::string encoded;
  if (o.format == "png") encoded = data::encode_png(image, o.png_level);
  if (o.format == "jpeg") encoded = data::encode_jpeg(image, o.quality);
  if (o.format == "raw") encoded = std::string(image.contiguous().as_string_view());
  const std::int64_t h = image.dim(0);
  const std::int64_t w = image.dim(1);
  const std::int64_t c = image.dim(2);
  ImageRecord record{encoded, o.format, h, w, c, label, class_name, filename};
  return {encode_image_example(record), label, h, w, c};
}

ImageOptions image_options_of(const po::variables_map& vm, const CommonOptions& common) {
  ImageOptions o;
  o.png_level = common.png_level;
  o.format = vm["format"].as<std::string>();
  if (o.format != "png" && o.format != "jpeg" && o.format != "raw") {
    throw UsageError("--format '" + o.format + "' is not one of png, jpeg, raw");
  }
  o.quality = vm["quality"].as<int>();
  if (o.quality < 1 || o.quality > 100)
    throw UsageError("--quality " + std::to_string(o.quality) + " is not in [1, 100]");
  o.channels = vm["channels"].as<int>();
  if (o.channels != 0 && o.channels != 1 && o.channels != 3 && o.channels != 4) {
    throw UsageError("--channels " + std::to_string(o.channels) + " is not one of 0 (as stored), 1, 3, 4");
  }
  if (o.format == "jpeg" && o.channels == 4)
    throw UsageError("--format jpeg takes --channels 1 or 3 (JPEG has no alpha)");
  if (vm.count("resize") > 0) {
    o.resize = parse_size(vm["resize"].as<std::string>());
  }
  o.verify = vm.count("no-verify") == 0;
  return o;
}

}  // namespace

int run_convert_images(const Args& args) {
  return run_command("convert images", [&] {
    po::options_description options("options");
    options.add_options()("from", po::value<std::string>()->required()->value_name("DIR"), "folder of class folders")(
        "format", po::value<std::string>()->default_value("png")->value_name("F"), "png|jpeg|raw")(
        "resize", po::value<std::string>()->value_name("WxH"), "resize every image to W x H (bilinear)")(
        "quality", po::value<int>()->default_value(95)->value_name("Q"), "JPEG quality 1..100")(
        "channels", po::value<int>()->default_value(0)->value_name("C"), "0 (as stored)|1|3|4")(
        "validation-split", po::value<double>()->value_name("F"), "fraction in (0, 1) for validation-*")(
        "seed", po::value<std::uint64_t>()->value_name("S"), "the split's seed (needed with --validation-split)")(
        "validation-shards", po::value<int>()->value_name("N"), "validation shard count")(
        "no-verify", "store pass-through files without decoding them first");
    add_common_options(options);
    po::variables_map vm;
    if (!parse_args(args, options, vm, std::string(kUsage) + std::string(kConvertOutputHelp), false)) return kExitOk;
    const auto started = std::chrono::steady_clock::now();
    const CommonOptions common = common_options_of(vm);
    const ImageOptions image_options = image_options_of(vm, common);
    const std::string from = vm["from"].as<std::string>();
    const bool splitting = vm.count("validation-split") > 0;
    if (splitting && vm.count("seed") == 0) throw UsageError("--validation-split needs --seed (the split's seed)");
    if (!splitting && (vm.count("seed") > 0 || vm.count("validation-shards") > 0)) {
      throw UsageError("--seed and --validation-shards go with --validation-split");
    }

    // The subsets, as ImageFolderDataset lists them.
    std::vector<data::ImageFolderFiles> subsets;
    Job job;
    job.started = started;
    job.source = "images";
    job.image_format = image_options.format;
    job.options = common_options_json(common);
    job.options["command"] = "convert images";
    job.options["from"] = from;
    job.options["format"] = image_options.format;
    job.options["quality"] = image_options.quality;
    job.options["channels"] = image_options.channels;
    job.options["verify"] = image_options.verify;
    if (image_options.resize) {
      job.options["resize"] =
          std::to_string(image_options.resize->second) + "x" + std::to_string(image_options.resize->first);
    }
    if (splitting) {
      const double fraction = vm["validation-split"].as<double>();
      const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
      if (!(fraction > 0 && fraction < 1)) {
        throw UsageError("--validation-split " + std::to_string(fraction) + " is not in (0, 1)");
      }
      for (const char* subset : {"training", "validation"}) {
        subsets.push_back(data::image_folder_files(
            from, data::ImageFolderOptions().validation_split(fraction).subset(subset).seed(seed)));
      }
      const auto train_n = static_cast<std::int64_t>(subsets[0].paths.size());
      const auto validation_n = static_cast<std::int64_t>(subsets[1].paths.size());
      const auto scaled = std::lround(shards_for(common, std::int64_t{1} << 30) * fraction);
      int validation_shards =
          static_cast<int>(std::clamp<std::int64_t>(std::min<std::int64_t>(scaled, validation_n), 1, 99999));
      if (vm.count("validation-shards") > 0) validation_shards = vm["validation-shards"].as<int>();
      if (validation_shards < 1 || validation_shards > 99999) {
        throw UsageError("--validation-shards " + std::to_string(validation_shards) + " is not in [1, 99999]");
      }
      job.splits = {{"train", train_n, shards_for(common, train_n)}, {"validation", validation_n, validation_shards}};
      job.options["validation_split"] = fraction;
      job.options["seed"] = seed;
    } else {
      subsets.push_back(data::image_folder_files(from));
      const auto n = static_cast<std::int64_t>(subsets[0].paths.size());
      job.splits = {{"train", n, shards_for(common, n)}};
    }
    job.classes = subsets[0].classes;
    job.options["shards"] = job.splits[0].shards;
    if (splitting) job.options["validation_shards"] = job.splits[1].shards;

    // Item k: the files of the subsets one after the other.
    std::vector<std::pair<std::string, std::int64_t>> files;
    for (const data::ImageFolderFiles& s : subsets) {
      for (std::size_t i = 0; i < s.paths.size(); ++i) files.emplace_back(s.paths[i], s.labels[i]);
    }
    job.name = [&](std::int64_t item) {
      return fs::path(files[static_cast<std::size_t>(item)].first).lexically_relative(from).generic_string();
    };
    job.convert = [&](std::int64_t item) {
      const auto& [path, label] = files[static_cast<std::size_t>(item)];
      return convert_image(image_options, path, job.name(item), label, job.classes[static_cast<std::size_t>(label)]);
    };
    return run_job(job, common);
  });
}

}  // namespace spool::cli
