// spool convert idx: generated IDX pairs (raw and gzip) -> shards read back with the
// library's reader and Example parser equal the source pixels and labels, for each
// format and compression; shard names and counts; dataset_info.json; prefixes and
// class names; refusal of a non-empty output; bad headers; thread-count independence;
// the real Fashion-MNIST when present.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "spool/data/image/idx.h"
#include "spool/data/image/png.h"
#include "test_support.h"
#include "tools/convert_test_support.h"
#include "tools/run_spool.h"

namespace spool::testing {
namespace {

namespace json = boost::json;

constexpr std::int64_t kHeight = 5;
constexpr std::int64_t kWidth = 4;
constexpr std::int64_t kPixels = kHeight * kWidth;

// Image i: pixel p is (i * 37 + p * 11) mod 256, so every image differs.
std::string pixels_of(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    for (std::int64_t p = 0; p < kPixels; ++p) out.push_back(static_cast<char>((i * 37 + p * 11) % 256));
  }
  return out;
}

std::string labels_of(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>((i * 7) % 10));
  return out;
}

// An IDX pair of `count` images in `dir`, named NAME-images-idx3-ubyte[.gz] etc.
struct IdxPair {
  std::string images;
  std::string labels;
};
IdxPair write_pair(const TempDir& dir, int count, bool gzip, const std::string& name = "train") {
  const std::string ext = gzip ? ".gz" : "";
  IdxPair pair{dir.file(name + "-images-idx3-ubyte" + ext), dir.file(name + "-labels-idx1-ubyte" + ext)};
  write_idx(pair.images, {static_cast<std::uint32_t>(count), std::uint32_t{kHeight}, std::uint32_t{kWidth}},
            pixels_of(count), gzip);
  write_idx(pair.labels, {static_cast<std::uint32_t>(count)}, labels_of(count), gzip);
  return pair;
}

RunResult convert(const IdxPair& pair, const std::string& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"convert", "idx", "--images", pair.images, "--labels", pair.labels, "--out", out};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_spool(args);
}

struct RoundTripCase {
  std::string format;
  std::string compression;
  bool gzip_input;
};

class ConvertIdxRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(ConvertIdxRoundTrip, PixelsAndLabelsEqualTheSource) {
  const RoundTripCase c = GetParam();
  TempDir dir;
  constexpr int kCount = 23;
  const IdxPair pair = write_pair(dir, kCount, c.gzip_input);
  const std::string out = dir.file("out");
  const RunResult r = convert(pair, out, {"--format", c.format, "--compression", c.compression, "--shards", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string first = read_file(out + "/train-00000-of-00003.tfrecord");
  if (c.compression == "gzip") {
    EXPECT_EQ(first.substr(0, 2), "\x1f\x8b");
  }
  if (c.compression == "zlib") {
    EXPECT_EQ(first[0], '\x78');
  }
  const std::vector<data::Example> examples = in_input_order(read_shards(out, "train"));
  ASSERT_EQ(examples.size(), kCount);
  const std::string pixels = pixels_of(kCount);
  const std::string labels = labels_of(kCount);
  for (int i = 0; i < kCount; ++i) {
    const data::Example& ex = examples[static_cast<std::size_t>(i)];
    const std::string source = pixels.substr(static_cast<std::size_t>(i * kPixels), static_cast<std::size_t>(kPixels));
    const std::string encoded = bytes_feature(ex, "image/encoded");
    if (c.format == "raw") {
      EXPECT_EQ(encoded, source) << "image " << i;
    } else {
      const Tensor decoded = data::decode_png(encoded, "record");
      EXPECT_EQ(decoded.shape(), Shape({kHeight, kWidth, 1}));
      EXPECT_EQ(decoded.as_string_view(), source) << "image " << i;
    }
    EXPECT_EQ(bytes_feature(ex, "image/format"), c.format);
    EXPECT_EQ(int64_feature(ex, "image/height"), kHeight);
    EXPECT_EQ(int64_feature(ex, "image/width"), kWidth);
    EXPECT_EQ(int64_feature(ex, "image/channels"), 1);
    EXPECT_EQ(int64_feature(ex, "image/class/label"), labels[static_cast<std::size_t>(i)]);
    EXPECT_EQ(bytes_feature(ex, "image/class/text"), std::to_string(labels[static_cast<std::size_t>(i)]));
    EXPECT_EQ(bytes_feature(ex, "image/filename"),
              std::filesystem::path(pair.images).filename().string() + ":" + std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(FormatsAndCompressions, ConvertIdxRoundTrip,
                         ::testing::Values(RoundTripCase{"raw", "none", false}, RoundTripCase{"raw", "zlib", true},
                                           RoundTripCase{"raw", "gzip", false}, RoundTripCase{"png", "none", true},
                                           RoundTripCase{"png", "zlib", false}, RoundTripCase{"png", "gzip", true}),
                         [](const auto& p) {
                           return p.param.format + "_" + p.param.compression + (p.param.gzip_input ? "_gz" : "_raw");
                         });

TEST(ConvertIdxTest, ShardNamesCountsAndDatasetInfo) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 10, true);
  const std::string out = dir.file("out");
  const RunResult r = convert(pair, out, {"--shards", "4", "--format", "raw", "--compression", "gzip"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(files_in(out), (std::vector<std::string>{"dataset_info.json", "train-00000-of-00004.tfrecord",
                                                     "train-00001-of-00004.tfrecord", "train-00002-of-00004.tfrecord",
                                                     "train-00003-of-00004.tfrecord"}));
  const std::vector<std::size_t> expected_counts{3, 3, 2, 2};
  std::size_t k = 0;
  for (const auto& [name, examples] : read_shards(out, "train"))
    EXPECT_EQ(examples.size(), expected_counts[k++]) << name;
  EXPECT_EQ(lines(r.out).size(), 1u);
  EXPECT_EQ(r.err, "") << "no progress bar when stderr is not a terminal";
  EXPECT_NE(r.out.find("wrote 10 examples (train 10) in 4 shards"), std::string::npos) << r.out;

  const json::object info = read_info(out);
  EXPECT_EQ(info.at("source"), "idx");
  EXPECT_EQ(info.at("classes"), json::parse(R"(["0","1","2","3","4","5","6","7","8","9"])"));
  EXPECT_EQ(info.at("examples"), 10);
  EXPECT_EQ(info.at("image_format"), "raw");
  EXPECT_EQ(info.at("compression"), "gzip");
  EXPECT_EQ(info.at("shard_assignment"), "round-robin");
  EXPECT_EQ(info.at("image_size"), json::parse(R"({"height":5,"width":4,"channels":1})"));
  EXPECT_EQ(info.at("skipped"), json::array());
  const json::object& train = info.at("splits").at("train").as_object();
  EXPECT_EQ(info.at("splits").as_object().size(), 1u);
  EXPECT_EQ(train.at("examples"), 10);
  // labels (i * 7) % 10 for i < 10: each digit once.
  EXPECT_EQ(train.at("class_counts"), json::parse("[1,1,1,1,1,1,1,1,1,1]"));
  const json::array& shards = train.at("shards").as_array();
  ASSERT_EQ(shards.size(), 4u);
  for (std::size_t s = 0; s < 4; ++s) {
    EXPECT_EQ(shards[s].at("file"), json::value("train-0000" + std::to_string(s) + "-of-00004.tfrecord"));
    EXPECT_EQ(shards[s].at("examples"), static_cast<std::int64_t>(expected_counts[s]));
  }
  const json::object& options = info.at("options").as_object();
  EXPECT_EQ(options.at("command"), "convert idx");
  EXPECT_EQ(options.at("images"), json::value(pair.images));
  EXPECT_EQ(options.at("labels"), json::value(pair.labels));
  EXPECT_EQ(options.at("shards"), 4);
  EXPECT_EQ(options.at("format"), "raw");
  EXPECT_EQ(options.at("compression"), "gzip");
}

TEST(ConvertIdxTest, DefaultShardsAreEightAtMostOnePerExample) {
  TempDir dir;
  const IdxPair many = write_pair(dir, 20, false);
  ASSERT_EQ(convert(many, dir.file("many")).exit_code, 0);
  EXPECT_EQ(read_shards(dir.file("many"), "train").size(), 8u);
  EXPECT_EQ(read_shards(dir.file("many"), "train").begin()->first, "train-00000-of-00008.tfrecord");
  const IdxPair few = write_pair(dir, 3, false, "few");
  ASSERT_EQ(convert(few, dir.file("few")).exit_code, 0);
  EXPECT_EQ(read_shards(dir.file("few"), "train").size(), 3u);
}

TEST(ConvertIdxTest, TestPrefixFromT10kNamesAndSplitOption) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 4, true, "t10k");
  ASSERT_EQ(convert(pair, dir.file("auto"), {"--shards", "2"}).exit_code, 0);
  EXPECT_EQ(files_in(dir.file("auto")), (std::vector<std::string>{"dataset_info.json", "test-00000-of-00002.tfrecord",
                                                                  "test-00001-of-00002.tfrecord"}));
  EXPECT_TRUE(read_info(dir.file("auto")).at("splits").as_object().contains("test"));
  ASSERT_EQ(convert(pair, dir.file("forced"), {"--shards", "1", "--split", "train"}).exit_code, 0);
  EXPECT_EQ(files_in(dir.file("forced")),
            (std::vector<std::string>{"dataset_info.json", "train-00000-of-00001.tfrecord"}));
}

TEST(ConvertIdxTest, ClassNames) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 10, false);
  ASSERT_EQ(convert(pair, dir.file("fashion"), {"--class-names", "fashion-mnist", "--shards", "1"}).exit_code, 0);
  const std::vector<data::Example> examples = read_examples(dir.file("fashion") + "/train-00000-of-00001.tfrecord");
  ASSERT_EQ(examples.size(), 10u);
  EXPECT_EQ(int64_feature(examples[1], "image/class/label"), 7);
  EXPECT_EQ(bytes_feature(examples[1], "image/class/text"), "Sneaker");
  EXPECT_EQ(read_info(dir.file("fashion")).at("classes").as_array()[0], "T-shirt/top");

  // auto picks Fashion-MNIST's names when the path says fashion.
  TempDir fashion_dir;
  std::filesystem::create_directory(fashion_dir.path() / "Fashion");
  const std::string images = fashion_dir.file("Fashion/train-images-idx3-ubyte");
  std::filesystem::copy_file(pair.images, images);
  const RunResult r =
      run_spool({"convert", "idx", "--images", images, "--labels", pair.labels, "--out", fashion_dir.file("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_info(fashion_dir.file("out")).at("classes").as_array()[9], "Ankle boot");

  const std::string list = "a,b,c,d,e,f,g,h,i,j";
  ASSERT_EQ(convert(pair, dir.file("list"), {"--class-names", list, "--shards", "1"}).exit_code, 0);
  EXPECT_EQ(bytes_feature(read_examples(dir.file("list") + "/train-00000-of-00001.tfrecord")[1], "image/class/text"),
            "h");

  const RunResult short_list = convert(pair, dir.file("short"), {"--class-names", "a,b"});
  EXPECT_EQ(short_list.exit_code, 1);
  EXPECT_NE(short_list.err.find("label 7 of image 1 in '" + pair.labels + "' has no class name (2 classes)"),
            std::string::npos)
      << short_list.err;
  EXPECT_EQ(files_in(dir.file("short")), std::vector<std::string>{});
}

TEST(ConvertIdxTest, RefusesANonEmptyOutputUnlessOverwrite) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 6, false);
  const std::string out = dir.file("out");
  ASSERT_EQ(convert(pair, out, {"--shards", "3"}).exit_code, 0);
  const std::string before = read_file(out + "/train-00000-of-00003.tfrecord");

  const RunResult again = convert(pair, out, {"--shards", "2"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("output folder '" + out + "' is not empty"), std::string::npos) << again.err;
  EXPECT_EQ(read_file(out + "/train-00000-of-00003.tfrecord"), before);

  // What a killed run leaves: a temporary of a process that is gone (removed by an
  // --overwrite run), and one of a process still running (kept: it may be writing).
  const std::string abandoned = out + "/train-00001-of-00003.tfrecord.tmp-999999999-42-0";
  const std::string live = out + "/dataset_info.json.tmp-" + std::to_string(::getpid()) + "-42-0";
  write_file(abandoned, "half a shard");
  write_file(live, "{");
  const RunResult overwrite = convert(pair, out, {"--shards", "2", "--overwrite"});
  ASSERT_EQ(overwrite.exit_code, 0) << overwrite.err;
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  EXPECT_TRUE(std::filesystem::exists(live));
  std::filesystem::remove(live);
  // The earlier run's three shards are gone: a train-* glob reads this run only.
  EXPECT_EQ(files_in(out), (std::vector<std::string>{"dataset_info.json", "train-00000-of-00002.tfrecord",
                                                     "train-00001-of-00002.tfrecord"}));
  EXPECT_EQ(in_input_order(read_shards(out, "train")).size(), 6u);

  write_file(dir.file("plain"), "a file");
  const RunResult file = convert(pair, dir.file("plain"), {"--overwrite"});
  EXPECT_EQ(file.exit_code, 1);
  EXPECT_NE(file.err.find("output '" + dir.file("plain") + "' exists and is not a folder"), std::string::npos)
      << file.err;
  EXPECT_EQ(read_file(dir.file("plain")), "a file");
}

TEST(ConvertIdxTest, BadHeadersFailNamingTheFileAndLeaveNothing) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 4, false);
  std::string bytes = read_file(pair.images);
  bytes[2] = '\x42';  // dtype code
  const std::string bad = dir.file("bad-images-idx3-ubyte");
  write_file(bad, bytes);
  const std::string out = dir.file("out");
  RunResult r = run_spool({"convert", "idx", "--images", bad, "--labels", pair.labels, "--out", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
  EXPECT_EQ(files_in(out), std::vector<std::string>{});

  const IdxPair other = write_pair(dir, 5, false, "other");
  r = run_spool({"convert", "idx", "--images", pair.images, "--labels", other.labels, "--out", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'" + other.labels + "' holds [5] labels for the 4 images of '" + pair.images + "'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(files_in(out), std::vector<std::string>{});
}

TEST(ConvertIdxTest, OutputBytesDoNotDependOnTheThreadCount) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 50, true);
  for (const std::string threads : {"1", "2", "5"}) {
    const RunResult r =
        convert(pair, dir.file("t" + threads), {"--threads", threads, "--shards", "3", "--compression", "gzip"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const std::string& name : files_in(dir.file("t1"))) {
    if (name == "dataset_info.json") continue;  // names its own --out
    const std::string one = read_file(dir.file("t1") + "/" + name);
    EXPECT_EQ(read_file(dir.file("t2") + "/" + name), one) << name;
    EXPECT_EQ(read_file(dir.file("t5") + "/" + name), one) << name;
  }
  json::object info1 = read_info(dir.file("t1"));
  json::object info5 = read_info(dir.file("t5"));
  info1["options"].as_object().erase("out");
  info5["options"].as_object().erase("out");
  EXPECT_EQ(info1, info5);
}

// dataset_info.json without the options that differ between the runs compared: out
// (the folder it was written to) and overwrite; serialized, so a difference prints.
std::string info_without_out(const std::string& dir) {
  json::object info = read_info(dir);
  info["options"].as_object().erase("out");
  info["options"].as_object().erase("overwrite");
  return json::serialize(info);
}

// kill -9 at moments spread over a conversion: every file under a final name holds the
// bytes an uninterrupted run writes (shards) or parses to its info; a rerun with
// --overwrite (or without, when nothing is left) finishes the job and leaves exactly
// the uninterrupted run's files. SPOOL_KILL_RUNS sets the number of kills.
TEST(ConvertIdxTest, KilledAtAnyMomentLeavesNoPartialFileAndARerunFinishes) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 40000, true);
  const std::vector<std::string> extra = {"--shards", "8", "--threads", "2", "--compression", "gzip"};
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(convert(pair, dir.file("whole"), extra).exit_code, 0);
  const auto whole_run = std::chrono::steady_clock::now() - started;
  const std::vector<std::string> names = files_in(dir.file("whole"));
  const std::string whole_info = info_without_out(dir.file("whole"));

  const int runs = std::getenv("SPOOL_KILL_RUNS") ? std::atoi(std::getenv("SPOOL_KILL_RUNS")) : 6;
  std::mt19937 rng(5);
  int with_files = 0, finals_checked = 0;
  for (int k = 0; k < runs; ++k) {
    const std::string out = dir.file("killed" + std::to_string(k));
    std::vector<std::string> args{"convert", "idx", "--images", pair.images, "--labels", pair.labels, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto after = std::chrono::duration_cast<std::chrono::microseconds>(
        whole_run * std::uniform_real_distribution<double>(0.02, 1.2)(rng));  // the renames come last
    run_spool_killed_after(args, after);
    bool left_any = false;
    for (const std::string& name : files_in(out)) {
      left_any = true;
      if (name.find(".tmp-") != std::string::npos) continue;
      ++finals_checked;
      if (name == "dataset_info.json") {
        EXPECT_EQ(info_without_out(out), whole_info);
      } else {
        EXPECT_TRUE(read_file(out + "/" + name) == read_file(dir.file("whole") + "/" + name)) << name << " is partial";
      }
    }
    with_files += left_any ? 1 : 0;
    if (left_any) args.push_back("--overwrite");
    const RunResult rerun = run_spool(args);
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(files_in(out), names) << "a killed run's file stayed behind";
    for (const std::string& name : names) {
      if (name == "dataset_info.json") continue;
      EXPECT_TRUE(read_file(out + "/" + name) == read_file(dir.file("whole") + "/" + name)) << name;
    }
    EXPECT_EQ(info_without_out(out), whole_info);
  }
  std::cout << runs << " kills over a " << std::chrono::duration<double>(whole_run).count() << " s conversion, "
            << with_files << " leaving files in --out; " << finals_checked << " files under a final name checked\n";
}

TEST(ConvertIdxTest, UsageErrors) {
  TempDir dir;
  const IdxPair pair = write_pair(dir, 2, false);
  EXPECT_EQ(run_spool({"convert", "idx", "--images", pair.images, "--labels", pair.labels}).exit_code, 2);
  EXPECT_EQ(convert(pair, dir.file("o"), {"--format", "jpeg"}).exit_code, 2);
  EXPECT_EQ(convert(pair, dir.file("o"), {"--compression", "auto"}).exit_code, 2);
  EXPECT_EQ(convert(pair, dir.file("o"), {"--shards", "0"}).exit_code, 2);
  EXPECT_EQ(convert(pair, dir.file("o"), {"--split", "validation"}).exit_code, 2);
  EXPECT_EQ(run_spool({"convert"}).exit_code, 2);
  EXPECT_EQ(run_spool({"convert", "tfds"}).exit_code, 2);
  const RunResult help = run_spool({"convert", "idx", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("image/class/text"), std::string::npos);
  EXPECT_NE(run_spool({"--help"}).out.find("convert"), std::string::npos);
}

// The real Fashion-MNIST test split: 10000 images, Fashion's class names, test-*.
TEST(ConvertIdxTest, FashionMnistTestSplit) {
  std::filesystem::path dir = shared_data_dir() / "fashion-mnist";
  if (shared_data_dir().empty() || !std::filesystem::exists(dir / "t10k-images-idx3-ubyte.gz")) {
    dir = "/usr/share/datasets/fashion-mnist";
  }
  const std::string images = (dir / "t10k-images-idx3-ubyte.gz").string();
  const std::string labels = (dir / "t10k-labels-idx1-ubyte.gz").string();
  if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) {
    GTEST_SKIP() << "no Fashion-MNIST in ../shared/data/fashion-mnist or /usr/share/datasets/fashion-mnist";
  }
  TempDir tmp;
  const std::string out = tmp.file("out");
  const RunResult r = run_spool(
      {"convert", "idx", "--images", images, "--labels", labels, "--out", out, "--format", "png", "--shards", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object info = read_info(out);
  EXPECT_EQ(info.at("splits").at("test").at("examples"), 10000);
  EXPECT_EQ(info.at("splits").at("test").at("class_counts"),
            json::parse("[1000,1000,1000,1000,1000,1000,1000,1000,1000,1000]"));
  EXPECT_EQ(info.at("classes").as_array()[0], "T-shirt/top");  // the path names fashion-mnist
  const std::vector<data::Example> examples = in_input_order(read_shards(out, "test"));
  ASSERT_EQ(examples.size(), 10000u);
  const Tensor source = data::read_idx(images);
  const std::vector<std::int64_t> source_labels = data::read_idx(labels).cast(DType::kI64).to_vector<std::int64_t>();
  for (std::int64_t i : {0, 1, 4999, 9999}) {
    const data::Example& ex = examples[static_cast<std::size_t>(i)];
    EXPECT_EQ(data::decode_png(bytes_feature(ex, "image/encoded"), "record").as_string_view(),
              source.select(0, i).contiguous().as_string_view())
        << i;
    EXPECT_EQ(int64_feature(ex, "image/class/label"), source_labels[static_cast<std::size_t>(i)]) << i;
  }
}

}  // namespace
}  // namespace spool::testing
