// spool convert images: a temporary folder of generated PNG and JPEG files -> shards
// read back equal the source pixels (png and raw output), pass-through files keep
// their bytes, the validation split is ImageFolderDataset's, a corrupt image fails
// naming the file and leaves nothing, --skip-errors, thread-count independence, and
// the shared horse-or-human folder when present.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "spool/data/dataset.h"
#include "spool/data/image/decode_image.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "spool/data/iterator.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "test_support.h"
#include "tools/convert_test_support.h"
#include "tools/run_spool.h"

namespace spool::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// An [h, w, c] u8 image whose pixels depend on `seed`; smooth, so JPEG keeps it close.
Tensor pattern(std::int64_t h, std::int64_t w, std::int64_t c, int seed) {
  Tensor t = Tensor::empty(Shape({h, w, c}), DType::kU8);
  auto* p = t.data<std::uint8_t>();
  for (std::int64_t i = 0; i < h * w * c; ++i) p[i] = static_cast<std::uint8_t>((seed * 41 + i * 3) % 256);
  return t;
}

// cats/ holds PNG files (RGB, gray, RGBA), dogs/ JPEG files (RGB, gray, one nested);
// a text file is not an image and is not listed.
void make_folder(const fs::path& root) {
  fs::create_directories(root / "cats");
  fs::create_directories(root / "dogs" / "nested");
  write_file((root / "cats" / "c0.png").string(), data::encode_png(pattern(5, 6, 3, 1)));
  write_file((root / "cats" / "c1.png").string(), data::encode_png(pattern(4, 4, 1, 2)));
  write_file((root / "cats" / "c2.PNG").string(), data::encode_png(pattern(3, 7, 4, 3)));
  write_file((root / "dogs" / "d0.jpg").string(), data::encode_jpeg(pattern(8, 6, 3, 4), 90));
  write_file((root / "dogs" / "d1.jpeg").string(), data::encode_jpeg(pattern(6, 8, 1, 5), 90));
  write_file((root / "dogs" / "nested" / "d2.jpg").string(), data::encode_jpeg(pattern(9, 9, 3, 6), 90));
  write_file((root / "dogs" / "notes.txt").string(), "not an image");
}

// Many small PNG files in two classes, for the split and thread tests.
void make_many(const fs::path& root, int per_class) {
  for (const char* cls : {"a", "b"}) {
    fs::create_directories(root / cls);
    for (int i = 0; i < per_class; ++i) {
      write_file((root / cls / ("img" + std::to_string(i) + ".png")).string(),
                 data::encode_png(pattern(4 + i % 3, 5, 3, i + (cls[0] == 'b' ? 100 : 0))));
    }
  }
}

RunResult convert(const std::string& from, const std::string& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"convert", "images", "--from", from, "--out", out};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_spool(args);
}

// The paths ImageFolderDataset lists, relative to `root`, in its order.
std::vector<std::string> listed(const std::string& root, const data::ImageFolderOptions& options = {}) {
  std::vector<std::string> out;
  for (const std::string& p : data::image_folder_files(root, options).paths) {
    out.push_back(fs::path(p).lexically_relative(root).generic_string());
  }
  return out;
}

std::vector<std::string> filenames(const std::vector<data::Example>& examples) {
  std::vector<std::string> out;
  for (const data::Example& ex : examples) out.push_back(bytes_feature(ex, "image/filename"));
  return out;
}

TEST(ConvertImagesTest, PngOutputPassesPngThroughAndReencodesJpegLosslessly) {
  TempDir dir;
  make_folder(dir.path() / "in");
  const std::string from = dir.file("in");
  const std::string out = dir.file("out");
  const RunResult r = convert(from, out, {"--shards", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<data::Example> examples = in_input_order(read_shards(out, "train"));
  ASSERT_EQ(examples.size(), 6u);
  EXPECT_EQ(filenames(examples), listed(from));
  for (const data::Example& ex : examples) {
    const std::string name = bytes_feature(ex, "image/filename");
    const std::string source = read_file(from + "/" + name);
    const std::string encoded = bytes_feature(ex, "image/encoded");
    EXPECT_EQ(bytes_feature(ex, "image/format"), "png");
    const Tensor expected = data::decode_image(source, name);
    if (name.rfind("cats/", 0) == 0) {
      EXPECT_EQ(encoded, source) << name << ": a PNG file passes through unchanged";
      EXPECT_EQ(int64_feature(ex, "image/class/label"), 0);
      EXPECT_EQ(bytes_feature(ex, "image/class/text"), "cats");
    } else {
      EXPECT_EQ(data::detect_image_format(encoded, name), data::ImageFormat::kPng) << name;
      EXPECT_EQ(data::decode_png(encoded, name).as_string_view(), expected.as_string_view()) << name;
      EXPECT_EQ(int64_feature(ex, "image/class/label"), 1);
      EXPECT_EQ(bytes_feature(ex, "image/class/text"), "dogs");
    }
    EXPECT_EQ(int64_feature(ex, "image/height"), expected.dim(0)) << name;
    EXPECT_EQ(int64_feature(ex, "image/width"), expected.dim(1)) << name;
    EXPECT_EQ(int64_feature(ex, "image/channels"), expected.dim(2)) << name;
  }
  const json::object info = read_info(out);
  EXPECT_EQ(info.at("classes"), json::parse(R"(["cats","dogs"])"));
  EXPECT_EQ(info.at("image_size"), nullptr);  // sizes differ
  EXPECT_EQ(info.at("splits").at("train").at("class_counts"), json::parse("[3,3]"));
  EXPECT_EQ(info.at("source"), "images");
}

TEST(ConvertImagesTest, RawOutputHoldsTheDecodedPixels) {
  TempDir dir;
  make_folder(dir.path() / "in");
  const std::string from = dir.file("in");
  const std::string out = dir.file("out");
  const RunResult r = convert(from, out, {"--format", "raw", "--shards", "1", "--compression", "zlib"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<data::Example> examples = read_examples(out + "/train-00000-of-00001.tfrecord");
  ASSERT_EQ(examples.size(), 6u);
  for (const data::Example& ex : examples) {
    const std::string name = bytes_feature(ex, "image/filename");
    const Tensor expected = data::decode_image(read_file(from + "/" + name), name);
    EXPECT_EQ(bytes_feature(ex, "image/encoded"), expected.as_string_view()) << name;
    EXPECT_EQ(bytes_feature(ex, "image/format"), "raw");
    EXPECT_EQ(int64_feature(ex, "image/channels"), expected.dim(2)) << name;
  }
}

TEST(ConvertImagesTest, JpegOutputPassesJpegThroughAndDropsAlpha) {
  TempDir dir;
  make_folder(dir.path() / "in");
  const std::string from = dir.file("in");
  const std::string out = dir.file("out");
  const RunResult r = convert(from, out, {"--format", "jpeg", "--quality", "80", "--shards", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const data::Example& ex : read_examples(out + "/train-00000-of-00001.tfrecord")) {
    const std::string name = bytes_feature(ex, "image/filename");
    const std::string source = read_file(from + "/" + name);
    const std::string encoded = bytes_feature(ex, "image/encoded");
    EXPECT_EQ(bytes_feature(ex, "image/format"), "jpeg");
    if (name.rfind("dogs/", 0) == 0) {
      EXPECT_EQ(encoded, source) << name << ": a JPEG file passes through unchanged";
      continue;
    }
    const Tensor original = data::decode_png(source, name);
    const Tensor decoded = data::decode_jpeg(encoded, name);
    const std::int64_t channels = original.dim(2) <= 2 ? 1 : 3;
    EXPECT_EQ(decoded.shape(), Shape({original.dim(0), original.dim(1), channels})) << name;
    EXPECT_EQ(int64_feature(ex, "image/channels"), channels) << name;
  }
}

// Hand-computed: a 1x2 gray image [0, 255] widened to 4 by TF's bilinear (half-pixel
// centres) samples x = -0.25, 0.25, 0.75, 1.25 -> 0, 63.75, 191.25, 255, rounded.
TEST(ConvertImagesTest, ResizeIsBilinearRoundedBackToU8) {
  TempDir dir;
  fs::create_directories(dir.path() / "in" / "only");
  Tensor two = Tensor::empty(Shape({1, 2, 1}), DType::kU8);
  two.data<std::uint8_t>()[0] = 0;
  two.data<std::uint8_t>()[1] = 255;
  write_file(dir.file("in/only/two.png"), data::encode_png(two));
  const RunResult r = convert(dir.file("in"), dir.file("out"), {"--resize", "4x1", "--format", "raw", "--shards", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<data::Example> examples = read_examples(dir.file("out") + "/train-00000-of-00001.tfrecord");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(bytes_feature(examples[0], "image/encoded"), std::string("\x00\x40\xbf\xff", 4));
  EXPECT_EQ(int64_feature(examples[0], "image/height"), 1);
  EXPECT_EQ(int64_feature(examples[0], "image/width"), 4);
  EXPECT_EQ(int64_feature(examples[0], "image/channels"), 1);
}

TEST(ConvertImagesTest, ResizeReencodesEvenInTheSameFormat) {
  TempDir dir;
  make_folder(dir.path() / "in");
  const RunResult r =
      convert(dir.file("in"), dir.file("out"), {"--resize", "7x3", "--format", "jpeg", "--shards", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const data::Example& ex : read_examples(dir.file("out") + "/train-00000-of-00001.tfrecord")) {
    const std::string name = bytes_feature(ex, "image/filename");
    const Tensor decoded = data::decode_jpeg(bytes_feature(ex, "image/encoded"), name);
    EXPECT_EQ(decoded.dim(0), 3) << name;
    EXPECT_EQ(decoded.dim(1), 7) << name;
    EXPECT_EQ(int64_feature(ex, "image/height"), 3) << name;
    EXPECT_EQ(int64_feature(ex, "image/width"), 7) << name;
  }
  EXPECT_EQ(read_info(dir.file("out")).at("options").at("resize"), "7x3");
}

TEST(ConvertImagesTest, ValidationSplitAgreesWithImageFolderDataset) {
  TempDir dir;
  make_many(dir.path() / "in", 10);
  const std::string from = dir.file("in");
  const std::string out = dir.file("out");
  const RunResult r = convert(from, out, {"--validation-split", "0.25", "--seed", "7", "--shards", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object info = read_info(out);
  EXPECT_EQ(info.at("splits").at("train").at("examples"), 15);
  EXPECT_EQ(info.at("splits").at("validation").at("examples"), 5);
  EXPECT_EQ(info.at("splits").at("validation").at("shards").as_array().size(), 1u);  // round(3 * 0.25)
  EXPECT_EQ(info.at("options").at("seed"), 7);
  for (const char* subset : {"training", "validation"}) {
    const std::string prefix = std::string(subset) == "training" ? "train" : "validation";
    const data::ImageFolderOptions options = data::ImageFolderOptions().validation_split(0.25).subset(subset).seed(7);
    // The set of files, from iterating the dataset itself...
    std::set<std::string> from_dataset;
    for (const data::Element& e : data::ImageFolderDataset(from, options)) {
      from_dataset.insert(fs::path(std::string(e["path"].as_string_view())).lexically_relative(from).generic_string());
    }
    const std::vector<std::string> converted = filenames(in_input_order(read_shards(out, prefix)));
    EXPECT_EQ(std::set<std::string>(converted.begin(), converted.end()), from_dataset) << subset;
    // ...and their order, the dataset's split order.
    EXPECT_EQ(converted, listed(from, options)) << subset;
  }
  EXPECT_EQ(convert(from, dir.file("o2"), {"--validation-split", "0.25"}).exit_code, 2);  // no --seed
  EXPECT_EQ(convert(from, dir.file("o3"), {"--validation-split", "1.5", "--seed", "1"}).exit_code, 2);
}

TEST(ConvertImagesTest, CorruptImageFailsNamingTheFileAndLeavesNothing) {
  TempDir dir;
  make_many(dir.path() / "in", 6);
  const std::string bad = dir.file("in/b/img3.png");
  write_file(bad, read_file(bad).substr(0, 60));  // truncated: the header is still there
  const std::string out = dir.file("out");
  const RunResult r = convert(dir.file("in"), out, {"--shards", "2", "--threads", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "the folder it made is removed again";

  fs::create_directory(out);
  EXPECT_EQ(convert(dir.file("in"), out, {"--format", "raw"}).exit_code, 1);
  EXPECT_EQ(files_in(out), std::vector<std::string>{});

  const RunResult skip = convert(dir.file("in"), out, {"--skip-errors", "--shards", "2"});
  ASSERT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_NE(skip.err.find(bad), std::string::npos) << skip.err;
  EXPECT_NE(skip.out.find("wrote 11 examples"), std::string::npos) << skip.out;
  EXPECT_NE(skip.out.find("skipped 1"), std::string::npos) << skip.out;
  const json::object info = read_info(out);
  ASSERT_EQ(info.at("skipped").as_array().size(), 1u);
  EXPECT_EQ(info.at("skipped").as_array()[0].at("file"), "b/img3.png");
  EXPECT_EQ(info.at("splits").at("train").at("class_counts"), json::parse("[6,5]"));
  EXPECT_EQ(in_input_order(read_shards(out, "train")).size(), 11u);
}

TEST(ConvertImagesTest, NotAnImageFailsNamingTheFile) {
  TempDir dir;
  make_many(dir.path() / "in", 2);
  const std::string bad = dir.file("in/a/zz.jpg");
  write_file(bad, "plain text, not a JPEG");
  const RunResult r = convert(dir.file("in"), dir.file("out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

TEST(ConvertImagesTest, OutputBytesDoNotDependOnTheThreadCount) {
  TempDir dir;
  make_many(dir.path() / "in", 15);
  for (const std::string threads : {"1", "3"}) {
    const RunResult r = convert(dir.file("in"), dir.file("t" + threads),
                                {"--threads", threads, "--format", "jpeg", "--validation-split", "0.3", "--seed", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::vector<std::string> names = files_in(dir.file("t1"));
  EXPECT_EQ(names, files_in(dir.file("t3")));
  for (const std::string& name : names) {
    if (name == "dataset_info.json") continue;
    EXPECT_EQ(read_file(dir.file("t1") + "/" + name), read_file(dir.file("t3") + "/" + name)) << name;
  }
}

TEST(ConvertImagesTest, UsageErrors) {
  TempDir dir;
  make_many(dir.path() / "in", 1);
  EXPECT_EQ(convert(dir.file("in"), dir.file("o"), {"--format", "gif"}).exit_code, 2);
  EXPECT_EQ(convert(dir.file("in"), dir.file("o"), {"--quality", "0"}).exit_code, 2);
  EXPECT_EQ(convert(dir.file("in"), dir.file("o"), {"--channels", "2"}).exit_code, 2);
  EXPECT_EQ(convert(dir.file("in"), dir.file("o"), {"--format", "jpeg", "--channels", "4"}).exit_code, 2);
  EXPECT_EQ(convert(dir.file("in"), dir.file("o"), {"--resize", "15"}).exit_code, 2);
  EXPECT_EQ(convert(dir.file("in"), dir.file("o"), {"--seed", "3"}).exit_code, 2);
  EXPECT_EQ(run_spool({"convert", "images", "--out", dir.file("o")}).exit_code, 2);
  const RunResult help = run_spool({"convert", "images", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("original file's bytes, unchanged (no re-encode)"), std::string::npos) << help.out;
}

// The shared horses-vs-humans folder: 300x300 RGBA PNG files in horses/ and humans/.
TEST(ConvertImagesTest, HorseOrHuman) {
  const fs::path root = shared_data_dir() / "horse-or-human" / "train";
  if (shared_data_dir().empty() || !fs::is_directory(root)) GTEST_SKIP() << "no ../shared/data/horse-or-human";
  TempDir dir;
  const std::string out = dir.file("out");
  const RunResult r = convert(root.string(), out, {"--validation-split", "0.2", "--seed", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object info = read_info(out);
  const std::int64_t n = static_cast<std::int64_t>(data::image_folder_files(root.string()).paths.size());
  EXPECT_EQ(info.at("classes"), json::parse(R"(["horses","humans"])"));
  EXPECT_EQ(info.at("examples"), n);
  EXPECT_EQ(info.at("splits").at("validation").at("examples"), static_cast<std::int64_t>(0.2 * static_cast<double>(n)));
  EXPECT_EQ(info.at("image_size"), json::parse(R"({"height":300,"width":300,"channels":4})"));
  const std::vector<data::Example> validation = in_input_order(read_shards(out, "validation"));
  ASSERT_FALSE(validation.empty());
  for (std::size_t i : {std::size_t{0}, validation.size() - 1}) {
    const std::string name = bytes_feature(validation[i], "image/filename");
    EXPECT_EQ(bytes_feature(validation[i], "image/encoded"), read_file((root / name).string())) << name;
  }
}

}  // namespace
}  // namespace spool::testing
