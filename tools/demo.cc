// spool demo: writes a small TFRecord file of tf.train.Example records, so that
// `spool demo && spool verify demo.tfrecord && spool inspect demo.tfrecord` works on a
// fresh machine. Images are the first N of Fashion-MNIST when Debian's
// dataset-fashion-mnist is installed, synthetic 28x28 patterns otherwise.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"
#include "spool/data/image/idx.h"
#include "spool/data/io/example.h"
#include "spool/data/io/tfrecord_writer.h"
#include "subcommands.h"

namespace spool::cli {
namespace {

namespace po = boost::program_options;

constexpr std::int64_t kSide = 28;
constexpr std::int64_t kPixels = kSide * kSide;
constexpr std::int64_t kMaxRecords = 60000;  // the size of Fashion-MNIST's train split
constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

constexpr std::string_view kUsage =
    "usage: spool demo [--output PATH] [--records N] [--source auto|fashion-mnist|synthetic]\n"
    "\n"
    "Writes N tf.train.Example records (uncompressed TFRecord), each with\n"
    "  label          int64, the class 0..9\n"
    "  image/encoded  bytes, 784 raw grey pixels of a 28x28 image, row-major\n"
    "  image/shape    int64 [28, 28, 1]\n"
    "  name           bytes, where the image came from, e.g. fashion-mnist/train/00003\n"
    "With --source auto (the default) the images are the first N Fashion-MNIST\n"
    "training images when Debian's dataset-fashion-mnist package is installed\n"
    "(/usr/share/datasets/fashion-mnist), deterministic synthetic patterns otherwise.\n"
    "The file appears whole or not at all.";

struct Image {
  std::int64_t label = 0;
  std::string pixels;  // kPixels bytes
  std::string name;
};

// The first `count` training images of Fashion-MNIST, after checking that the files
// hold u8 28x28 images and as many labels.
std::vector<Image> fashion_mnist(std::int64_t count) {
  const std::string images_path = std::string(kFashionDir) + "/train-images-idx3-ubyte.gz";
  const std::string labels_path = std::string(kFashionDir) + "/train-labels-idx1-ubyte.gz";
  const Tensor pixels = data::read_idx(images_path);
  const Tensor labels = data::read_idx(labels_path);
  SPOOL_CHECK(pixels.dtype() == DType::kU8 && pixels.rank() == 3 && pixels.dim(1) == kSide && pixels.dim(2) == kSide,
              DataLossError, quoted(images_path), " holds ", pixels.shape(), " ", dtype_name(pixels.dtype()),
              " values, expected u8 28x28 images");
  SPOOL_CHECK(labels.dtype() == DType::kU8 && labels.rank() == 1, DataLossError, quoted(labels_path), " holds ",
              labels.shape(), " ", dtype_name(labels.dtype()), " values, expected u8 labels");
  SPOOL_CHECK(pixels.dim(0) >= count && labels.dim(0) >= count, DataLossError, quoted(images_path), " and ",
              quoted(labels_path), " hold ", pixels.dim(0), " images and ", labels.dim(0), " labels, ", count,
              " wanted");
  std::vector<Image> images;
  for (std::int64_t i = 0; i < count; ++i) {
    const auto label = labels.select(0, i).item<std::uint8_t>();
    SPOOL_CHECK(label < 10, DataLossError, "label ", int{label}, " of image ", i, " is not in 0..9");
    std::string name = std::to_string(i);
    name = "fashion-mnist/train/" + std::string(5 - std::min<std::size_t>(5, name.size()), '0') + name;
    images.push_back({label, std::string(pixels.select(0, i).as_string_view()), std::move(name)});
  }
  return images;
}

// A ring whose radius grows with the class, shifted a little per record, so images
// differ and a model could tell the classes apart.
std::vector<Image> synthetic(std::int64_t count) {
  std::vector<Image> images;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t label = i % 10;
    const std::int64_t cx = 13 + i % 3;
    const std::int64_t cy = 14 - i % 2;
    const std::int64_t radius = 3 + label;
    std::string pixels(kPixels, '\0');
    for (std::int64_t y = 0; y < kSide; ++y) {
      for (std::int64_t x = 0; x < kSide; ++x) {
        const std::int64_t d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
        const std::int64_t off = d2 - radius * radius;
        if (off > -2 * radius && off < 2 * radius) pixels[static_cast<std::size_t>(y * kSide + x)] = '\xff';
      }
    }
    std::string name = "synthetic/" + std::to_string(i);
    images.push_back({label, std::move(pixels), std::move(name)});
  }
  return images;
}

}  // namespace

int run_demo(const Args& args) {
  return run_command("demo", [&] {
    po::options_description options("options");
    options.add_options()("output,o", po::value<std::string>()->default_value("demo.tfrecord")->value_name("PATH"), "file to write")(
        "records,n", po::value<std::int64_t>()->default_value(16)->value_name("N"), "how many records (1..60000)")(
        "source", po::value<std::string>()->default_value("auto")->value_name("S"), "auto|fashion-mnist|synthetic");
    po::variables_map vm;
    if (!parse_args(args, options, vm, kUsage, /*need_files=*/false)) return kExitOk;
    const std::int64_t count = vm["records"].as<std::int64_t>();
    if (count < 1 || count > kMaxRecords) {
      throw UsageError("--records " + std::to_string(count) + " is not in [1, 60000]");
    }
    const std::string source = vm["source"].as<std::string>();
    if (source != "auto" && source != "fashion-mnist" && source != "synthetic") {
      throw UsageError("--source '" + source + "' is not one of auto, fashion-mnist, synthetic");
    }
    std::error_code ec;
    const bool have_fashion = std::filesystem::exists(std::string(kFashionDir) + "/train-images-idx3-ubyte.gz", ec);
    const bool use_fashion = source == "fashion-mnist" || (source == "auto" && have_fashion);
    const std::vector<Image> images = use_fashion ? fashion_mnist(count) : synthetic(count);

    const std::string output = vm["output"].as<std::string>();
    data::TFRecordWriter writer(output);
    for (const Image& image : images) {
      data::Example example;
      example.features["label"] = data::Feature::int64s({image.label});
      example.features["image/encoded"] = data::Feature::bytes({image.pixels});
      example.features["image/shape"] = data::Feature::int64s({kSide, kSide, 1});
      example.features["name"] = data::Feature::bytes({image.name});
      writer.write(data::encode_example(example));
    }
    writer.close();
    std::cout << "wrote " << count << " tf.train.Example records ("
              << (use_fashion ? "Fashion-MNIST training images" : "synthetic images") << ") to " << output << '\n';
    return kExitOk;
  });
}

}  // namespace spool::cli
