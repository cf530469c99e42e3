// spool convert idx: an IDX pair (MNIST, Fashion-MNIST; raw or gzip) -> TFRecord
// shards of tf.train.Example images (convert_job.h).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "convert_job.h"
#include "spool/data/image/idx.h"
#include "spool/data/image/png.h"
#include "spool/tensor/error.h"

namespace spool::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: spool convert idx --images FILE --labels FILE --out DIR [--shards N]\n"
    "                         [--compression none|zlib|gzip] [--format png|raw] [--split auto|train|test]\n"
    "                         [--class-names auto|digits|fashion-mnist|NAME,NAME,...] [--threads N]\n"
    "                         [--overwrite] [--skip-errors]\n"
    "\n"
    "Converts an IDX pair (MNIST, Fashion-MNIST; raw or gzip, told by the bytes) to\n"
    "TFRecord shards: images u8 [N, H, W] (or [N, H, W, C]), labels [N].\n"
    "--format png (the default, as TensorFlow Datasets stores MNIST) encodes each image\n"
    "as a PNG file; raw stores its H*W*C pixel bytes.\n"
    "--split names the shards' prefix: auto (the default) is test when the --images file\n"
    "name starts with t10k (MNIST's test files), train otherwise.\n"
    "--class-names: auto (the default) gives Fashion-MNIST's ten names (T-shirt/top,\n"
    "Trouser, ...) when the --images path contains \"fashion\" (any case), and the digits\n"
    "\"0\", \"1\", ... (up to the largest label) otherwise; digits and fashion-mnist force\n"
    "one of those; a comma-separated list gives the names in label order.\n"
    "image/filename is the --images file's name and the image's index: \"t10k-images-idx3-ubyte.gz:42\".\n"
    "\n";

const std::vector<std::string> kFashionMnistClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> class_names(const std::string& option, const std::string& images_path,
                                     std::int64_t max_label) {
  const std::string mode = option == "auto"
                               ? (lower(images_path).find("fashion") != std::string::npos ? "fashion-mnist" : "digits")
                               : option;
  if (mode == "fashion-mnist") return kFashionMnistClasses;
  std::vector<std::string> names;
  if (mode == "digits") {
    for (std::int64_t d = 0; d <= std::max<std::int64_t>(max_label, 9); ++d) names.push_back(std::to_string(d));
    return names;
  }
  std::stringstream list(option);
  for (std::string name; std::getline(list, name, ',');) {
    if (name.empty()) throw UsageError("--class-names '" + option + "' has an empty name");
    names.push_back(name);
  }
  return names;
}

}  // namespace

int run_convert_idx(const Args& args) {
  return run_command("convert idx", [&] {
    po::options_description options("options");
    options.add_options()("images", po::value<std::string>()->required()->value_name("FILE"), "IDX images")(
        "labels", po::value<std::string>()->required()->value_name("FILE"), "IDX labels")(
        "format", po::value<std::string>()->default_value("png")->value_name("F"), "png|raw")(
        "split", po::value<std::string>()->default_value("auto")->value_name("S"), "auto|train|test: the shard prefix")(
        "class-names", po::value<std::string>()->default_value("auto")->value_name("C"),
        "auto|digits|fashion-mnist|NAME,NAME,...");
    add_common_options(options);
    po::variables_map vm;
    if (!parse_args(args, options, vm, std::string(kUsage) + std::string(kConvertOutputHelp), false)) return kExitOk;
    const auto started = std::chrono::steady_clock::now();
    const CommonOptions common = common_options_of(vm);
    const std::string format = vm["format"].as<std::string>();
    if (format != "png" && format != "raw") throw UsageError("--format '" + format + "' is not one of png, raw");
    std::string split = vm["split"].as<std::string>();
    if (split != "auto" && split != "train" && split != "test") {
      throw UsageError("--split '" + split + "' is not one of auto, train, test");
    }
    const std::string images_path = vm["images"].as<std::string>();
    const std::string labels_path = vm["labels"].as<std::string>();
    const std::string images_name = fs::path(images_path).filename().string();
    if (split == "auto") split = images_name.rfind("t10k", 0) == 0 ? "test" : "train";

    const Tensor images = data::read_idx(images_path).contiguous();
    const Tensor labels = data::read_idx(labels_path).cast(DType::kI64).contiguous();
    SPOOL_CHECK(images.dtype() == DType::kU8 && (images.rank() == 3 || images.rank() == 4), DataLossError,
                spool::quoted(images_path), " holds ", images.shape(), " ", dtype_name(images.dtype()),
                " values, not u8 images [N, H, W] or [N, H, W, C]");
    const std::int64_t channels = images.rank() == 4 ? images.dim(3) : 1;
    SPOOL_CHECK(channels >= 1 && channels <= 4, DataLossError, spool::quoted(images_path), " holds images of ",
                channels, " channels, not 1..4");
    SPOOL_CHECK(labels.rank() == 1 && labels.dim(0) == images.dim(0), DataLossError, spool::quoted(labels_path),
                " holds ", labels.shape(), " labels for the ", images.dim(0), " images of ",
                spool::quoted(images_path));
    const std::vector<std::int64_t> label_values = labels.to_vector<std::int64_t>();
    const std::int64_t max_label =
        label_values.empty() ? 0 : *std::max_element(label_values.begin(), label_values.end());
    const std::vector<std::string> classes = class_names(vm["class-names"].as<std::string>(), images_path, max_label);
    for (std::size_t i = 0; i < label_values.size(); ++i) {
      SPOOL_CHECK(label_values[i] >= 0 && label_values[i] < static_cast<std::int64_t>(classes.size()), DataLossError,
                  "label ", label_values[i], " of image ", i, " in ", spool::quoted(labels_path),
                  " has no class name (", classes.size(), " classes)");
    }

    const std::int64_t n = images.dim(0);
    const std::int64_t height = images.dim(1);
    const std::int64_t width = images.dim(2);
    Job job;
    job.started = started;
    job.source = "idx";
    job.classes = classes;
    job.splits = {{split, n, shards_for(common, n)}};
    job.image_format = format;
    job.options = common_options_json(common);
    job.options["command"] = "convert idx";
    job.options["images"] = images_path;
    job.options["labels"] = labels_path;
    job.options["format"] = format;
    job.options["split"] = split;
    job.options["shards"] = job.splits[0].shards;
    job.name = [&](std::int64_t i) { return images_name + ":" + std::to_string(i); };
    job.convert = [&](std::int64_t i) {
      const Tensor image = images.select(0, i).reshape({height, width, channels});
      const std::string png = format == "png" ? data::encode_png(image, common.png_level) : std::string();
      const std::int64_t label = label_values[static_cast<std::size_t>(i)];
      const std::string filename = job.name(i);
      ImageRecord record{format == "png" ? std::string_view(png) : image.as_string_view(),
                         format,
                         height,
                         width,
                         channels,
                         label,
                         classes[static_cast<std::size_t>(label)],
                         filename};
      return Converted{encode_image_example(record), label, height, width, channels};
    };
    return run_job(job, common);
  });
}

}  // namespace spool::cli
