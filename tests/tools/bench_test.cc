// spool bench: the JSON object has every key with values that match the data written
// (elements, batches, bytes, the stages in pipeline order); the readable form has
// the figures and the stage table; bad flags exit 2, bad data exits 1; IDX sources,
// generated here byte by byte and the real Fashion-MNIST when it is installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "test_support.h"
#include "tools/run_spool.h"
#include "tools/test_files.h"

namespace spool::testing {
namespace {

namespace json = boost::json;

constexpr std::int64_t kImageBytes = 784;

// {image: 784 bytes, label: int64}, the shape of a Fashion-MNIST record.
std::vector<std::string> fashion_like_records(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    data::Example ex;
    ex.features["image"] = data::Feature::bytes({std::string(kImageBytes, static_cast<char>(i))});
    ex.features["label"] = data::Feature::int64s({i % 10});
    out.push_back(data::encode_example(ex));
  }
  return out;
}

// Runs spool bench with --json; expects exit 0 and one JSON object on stdout.
json::object bench_json(std::vector<std::string> args) {
  args.insert(args.begin(), "bench");
  args.push_back("--json");
  const RunResult r = run_spool(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 1u) << r.out;
  const json::value v = json::parse(r.out);
  return v.as_object();
}

double number(const json::object& o, const char* key) {
  EXPECT_TRUE(o.contains(key)) << key;
  return o.contains(key) ? o.at(key).to_number<double>() : -1.0;
}

std::vector<std::string> stage_names(const json::object& o) {
  std::vector<std::string> names;
  for (const json::value& s : o.at("stages").as_array()) names.emplace_back(s.at("name").as_string());
  return names;
}

// The names of the stages after the one named `source` (the source may read its own
// inputs first, as TFRecordDataset reads its file names); fails when `source` is absent.
std::vector<std::string> names_after(const json::object& o, const std::string& source) {
  const std::vector<std::string> names = stage_names(o);
  const auto at = std::find(names.begin(), names.end(), source);
  EXPECT_NE(at, names.end()) << source << " in " << o;
  return at == names.end() ? names : std::vector<std::string>(at + 1, names.end());
}

// The stage named `name`.
const json::object& stage(const json::object& o, const std::string& name) {
  for (const json::value& s : o.at("stages").as_array()) {
    if (s.at("name").as_string() == name) return s.as_object();
  }
  ADD_FAILURE() << "no stage " << name << " in " << o;
  static const json::object none;
  return none;
}

// The IDX bytes: magic 0x0000080N (u8 data, N dims), big-endian extents, the data.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string out;
  const auto put32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put32(0x00000800u + static_cast<std::uint32_t>(dims.size()));
  for (std::uint32_t d : dims) put32(d);
  return out + data;
}

TEST(BenchCommandTest, JsonHasEveryKeyAndMatchesTheData) {
  TempDir dir;
  const std::string path = dir.file("train.tfrecord");
  write_records(path, fashion_like_records(10));
  const json::object o = bench_json({"--source", "tfrecord:" + dir.file("*.tfrecord"), "--parse", "example",
                                     "--shuffle", "4", "--batch", "3", "--prefetch", "2"});
  EXPECT_EQ(number(o, "elements"), 10);
  EXPECT_EQ(number(o, "batches"), 4);  // 3 + 3 + 3 + 1
  const double seconds = number(o, "seconds");
  EXPECT_GT(seconds, 0);
  EXPECT_NEAR(number(o, "elements_per_sec"), 10 / seconds, 1e-6 * 10 / seconds);
  EXPECT_NEAR(number(o, "batches_per_sec"), 4 / seconds, 1e-6 * 4 / seconds);
  // Per record: image u8[784] + image/byte_lengths i64[1] + label i64[1] (VarLen each).
  constexpr double kRecordBytes = kImageBytes + 8 + 8;
  EXPECT_NEAR(number(o, "bytes_per_sec"), 10 * kRecordBytes / seconds, 1e-6 * 10 * kRecordBytes / seconds);
  EXPECT_GE(number(o, "first_batch_seconds"), 0);
  EXPECT_LE(number(o, "first_batch_seconds"), seconds);
  EXPECT_GE(number(o, "setup_seconds"), 0);
  EXPECT_EQ(number(o, "skipped_errors"), 0);
  EXPECT_GT(number(o, "peak_buffered_bytes"), 0);
  // The shuffle comes before the parse: it buffers records, nothing to note.
  EXPECT_EQ(o.at("memory_note").as_string(), "");

  // The stages that ran: the parse and the batch fused (data/optimizations.h).
  EXPECT_EQ(names_after(o, "tfrecord"), (std::vector<std::string>{"shuffle", "parse_example+batch", "prefetch"}));
  for (const json::value& s : o.at("stages").as_array()) {
    for (const char* key : {"name", "elements", "self_seconds", "wait_seconds", "bytes"}) {
      EXPECT_TRUE(s.as_object().contains(key)) << key << " in " << s;
    }
    EXPECT_GE(s.at("self_seconds").to_number<double>(), 0);
    EXPECT_GE(s.at("wait_seconds").to_number<double>(), 0);
  }
  EXPECT_EQ(stage(o, "tfrecord").at("elements").to_number<std::int64_t>(), 10);
  EXPECT_EQ(stage(o, "parse_example+batch").at("elements").to_number<std::int64_t>(), 4);
  EXPECT_EQ(stage(o, "prefetch").at("bytes").to_number<std::int64_t>(), 10 * kRecordBytes);
}

TEST(BenchCommandTest, RawRecordsWithoutBatchCountElements) {
  TempDir dir;
  const std::string path = dir.file("a.tfrecord");
  write_records(path, {"abc", "de", "f"});
  const json::object o = bench_json({"--source", "tfrecord:" + path});
  EXPECT_EQ(number(o, "elements"), 3);
  EXPECT_EQ(number(o, "batches"), 3);
  EXPECT_EQ(names_after(o, "tfrecord"), std::vector<std::string>{});
  EXPECT_EQ(stage(o, "tfrecord").at("bytes").to_number<std::int64_t>(), 6);
}

TEST(BenchCommandTest, StepsAndWarmupWithRepeat) {
  TempDir dir;
  const std::string path = dir.file("a.tfrecord");
  write_records(path, fashion_like_records(5));
  const json::object o = bench_json({"--source", "tfrecord:" + path, "--parse", "example", "--map-parallelism", "2",
                                     "--batch", "4", "--repeat", "--steps", "6", "--warmup", "2"});
  EXPECT_EQ(number(o, "batches"), 6);
  EXPECT_EQ(number(o, "elements"), 24);
  EXPECT_EQ(names_after(o, "tfrecord"), (std::vector<std::string>{"repeat", "parse_example", "batch"}));
}

// --seconds ends a repeated run, --interval reports each interval's rate (in the
// text as it goes, in the JSON as a list), --readers reads files at once.
TEST(BenchCommandTest, SecondsIntervalsAndParallelReaders) {
  TempDir dir;
  std::vector<std::string> files;
  for (int f = 0; f < 4; ++f) {
    files.push_back(dir.file("s" + std::to_string(f) + ".tfrecord"));
    write_records(files.back(), fashion_like_records(50));
  }
  const std::string source = "tfrecord:" + dir.file("s*.tfrecord");
  const json::object o =
      bench_json({"--source", source, "--readers", "3", "--repeat", "--seconds", "0.6", "--interval", "0.2"});
  EXPECT_GE(number(o, "seconds"), 0.6);
  EXPECT_LT(number(o, "seconds"), 5.0);
  EXPECT_EQ(std::string(o.at("pipeline").as_string()), "tfrecord(4 files, 3 readers) -> repeat");
  const json::array& intervals = o.at("intervals").as_array();
  ASSERT_GE(intervals.size(), 3u);
  std::int64_t in_intervals = 0;
  double last_end = 0;
  for (const json::value& i : intervals) {
    EXPECT_GT(i.at("seconds").to_number<double>(), last_end);
    last_end = i.at("seconds").to_number<double>();
    in_intervals += i.at("elements").to_number<std::int64_t>();
  }
  EXPECT_EQ(in_intervals, static_cast<std::int64_t>(number(o, "elements")));
  EXPECT_GT(number(o, "elements"), 200);  // past one epoch of the four files

  const RunResult text = run_spool({"bench", "--source", source, "--repeat", "--seconds", "0.5", "--interval", "0.2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const std::regex interval_line(R"(after \d+\.\d s: \d+ elements/s over the last \d+\.\d s)");
  const std::vector<std::string> out = lines(text.out);
  ASSERT_GE(out.size(), 3u);
  EXPECT_TRUE(std::regex_match(out[0], interval_line)) << out[0];
  EXPECT_TRUE(std::regex_match(out[1], interval_line)) << out[1];
}

TEST(BenchCommandTest, ReadableFormHasFiguresAndTable) {
  TempDir dir;
  const std::string path = dir.file("a.tfrecord");
  write_records(path, fashion_like_records(7));
  const RunResult r = run_spool({"bench", "--source", "tfrecord:" + path, "--parse", "example", "--batch", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("7 elements, 4 batches in "), std::string::npos) << r.out;
  for (const char* text : {"elements/s", "batches/s", "MB/s", "first batch after", "stage", "parse_example", "batch"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << " in " << r.out;
  }
}

TEST(BenchCommandTest, ResizeNeedsDecodeAndDecodeNeedsAnImageFolder) {
  TempDir dir;
  const std::string path = dir.file("a.tfrecord");
  write_records(path, fashion_like_records(1));
  RunResult r = run_spool({"bench", "--source", "tfrecord:" + path, "--resize", "28x28"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "spool bench: --resize needs --decode (it resizes decoded images)\n");
  r = run_spool({"bench", "--source", "tfrecord:" + path, "--decode"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "spool bench: --decode needs an images:DIR source\n");
  for (const char* bad : {"28", "0x5", "5x", "x5", "5x5x5", "ax5"}) {
    r = run_spool({"bench", "--source", "images:" + dir.path().string(), "--decode", "--resize", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("is not WxH"), std::string::npos) << bad << ": " << r.err;
  }
}

// Images of different sizes (PNG and JPEG) resized to one WxH batch as f32 in [0, 1].
TEST(BenchCommandTest, ResizesDecodedImagesToOneSizeAsFloats) {
  TempDir dir;
  const std::filesystem::path root = dir.file("images");
  for (const char* cls : {"cats", "dogs"}) std::filesystem::create_directories(root / cls);
  write_file((root / "cats" / "a.png").string(), data::encode_png(Tensor::full(Shape{6, 9, 3}, 255, DType::kU8)));
  write_file((root / "cats" / "b.png").string(), data::encode_png(Tensor::zeros(Shape{3, 4, 1}, DType::kU8)));
  write_file((root / "dogs" / "c.jpg").string(), data::encode_jpeg(Tensor::full(Shape{40, 64, 3}, 128, DType::kU8)));
  write_file((root / "dogs" / "d.jpeg").string(), data::encode_jpeg(Tensor::zeros(Shape{5, 5, 3}, DType::kU8)));
  json::object o = bench_json({"--source", "images:" + root.string(), "--decode", "--resize", "5x4",
                               "--map-parallelism", "2", "--batch", "4"});
  EXPECT_EQ(number(o, "elements"), 4);
  EXPECT_EQ(number(o, "batches"), 1);
  EXPECT_EQ(names_after(o, "image_folder"), (std::vector<std::string>{"decode", "batch"}));
  // One batch of 4 x (4 x 5 x 3 floats + an int64 label): every image got the size.
  EXPECT_EQ(o.at("stages").as_array().back().at("bytes").to_number<std::int64_t>(), 4 * (4 * 5 * 3 * 4 + 8));
  EXPECT_NE(std::string(o.at("pipeline").as_string()).find("resize 5x4 f32"), std::string::npos);
  EXPECT_EQ(std::string(o.at("pipeline").as_string()).find("full JPEG decode"), std::string::npos);
  // DCT-domain scaling is on by default; the flag turns it off, and needs a resize.
  o = bench_json({"--source", "images:" + root.string(), "--decode", "--resize", "5x4", "--no-jpeg-dct-scaling"});
  EXPECT_NE(std::string(o.at("pipeline").as_string()).find("resize 5x4 f32, full JPEG decode"), std::string::npos);
  const RunResult r = run_spool({"bench", "--source", "images:" + root.string(), "--decode", "--no-jpeg-dct-scaling"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "spool bench: --no-jpeg-dct-scaling needs --resize (only a resize scales in the DCT domain)\n");
}

// Two classes of 3x4 PNGs (RGB, gray and RGBA files: all decode to 3 channels).
TEST(BenchCommandTest, DecodesAnImageFolderIntoBatches) {
  TempDir dir;
  const std::filesystem::path root = dir.file("images");
  for (const char* cls : {"cats", "dogs"}) {
    std::filesystem::create_directories(root / cls);
    for (int i = 0; i < 3; ++i) {
      const std::int64_t channels = i == 0 ? 3 : i == 1 ? 1 : 4;
      Tensor image = Tensor::zeros(Shape{3, 4, channels}, DType::kU8);
      image.data<std::uint8_t>()[0] = static_cast<std::uint8_t>(10 * i + 1);
      write_file((root / cls / ("p" + std::to_string(i) + ".png")).string(), data::encode_png(image));
    }
  }
  json::object o = bench_json({"--source", "images:" + root.string(), "--decode", "--map-parallelism", "2",
                               "--batch", "4"});
  EXPECT_EQ(number(o, "elements"), 6);
  EXPECT_EQ(number(o, "batches"), 2);
  EXPECT_EQ(names_after(o, "image_folder"), (std::vector<std::string>{"decode", "batch"}));
  // Decoded pixels and labels: 6 × (3 × 4 × 3 bytes + an int64 label).
  EXPECT_EQ(o.at("stages").as_array().back().at("bytes").to_number<std::int64_t>(), 6 * (36 + 8));

  // A file that is no image is the library's data error, naming the file.
  write_file((root / "dogs" / "broken.png").string(), "not a png at all");
  const RunResult r = run_spool({"bench", "--source", "images:" + root.string(), "--decode"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("broken.png"), std::string::npos) << r.err;
}

TEST(BenchCommandTest, BadUsageExitsTwo) {
  TempDir dir;
  const std::string path = dir.file("a.tfrecord");
  write_records(path, fashion_like_records(1));
  const std::string source = "tfrecord:" + path;
  const std::vector<std::vector<std::string>> cases = {
      {"bench"},                                                   // no --source
      {"bench", "--source", "parquet:x"},                          // unknown kind
      {"bench", "--source", "tfrecord"},                           // no GLOB
      {"bench", "--source", "idx:only-images"},                    // no LABELS
      {"bench", "--source", source, "--parse", "json"},            // unknown parser
      {"bench", "--source", source, "--batch", "0"},               // not positive
      {"bench", "--source", source, "--prefetch", "x"},            // not a count
      {"bench", "--source", source, "--repeat"},                   // forever
      {"bench", "--source", source, "--map-parallelism", "2"},     // no map
      {"bench", "--source", source, "--normalize", "0.5,0.5"},     // not idx
      {"bench", "--source", source, "--seconds", "0"},             // not positive
      {"bench", "--source", source, "--interval", "nan"},          // not a number
      {"bench", "--source", "idx:a,b", "--readers", "2"},          // not tfrecord
      {"bench", "--source", source, "--frobnicate"},               // unknown flag
      {"bench", "--source", source, "operand"},                    // stray operand
  };
  for (const std::vector<std::string>& args : cases) {
    const RunResult r = run_spool(args);
    SCOPED_TRACE(args.back());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("spool bench: ", 0), 0u) << r.err;
  }
  EXPECT_EQ(run_spool({"bench", "--source", "parquet:x"}).err,
            "spool bench: --source 'parquet:x' is not tfrecord:GLOB, idx:IMAGES,LABELS or images:DIR\n");
}

TEST(BenchCommandTest, BadDataExitsOne) {
  TempDir dir;
  // A flipped payload byte: the reader's own message.
  const std::string corrupt = dir.file("corrupt.tfrecord");
  const data::RecordIndex frames = write_records(corrupt, fashion_like_records(3));
  flip_byte(corrupt, frames[1].offset + 12 + 5);
  RunResult r = run_spool({"bench", "--source", "tfrecord:" + corrupt});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("data crc mismatch"), std::string::npos) << r.err;

  // Records whose image lengths differ cannot be batched.
  const std::string ragged = dir.file("ragged.tfrecord");
  data::Example small;
  small.features["image"] = data::Feature::bytes({"ab"});
  write_records(ragged, {fashion_like_records(1)[0], data::encode_example(small)});
  r = run_spool({"bench", "--source", "tfrecord:" + ragged, "--parse", "example", "--batch", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("spool bench: ", 0), 0u) << r.err;

  // No file matches the glob.
  r = run_spool({"bench", "--source", "tfrecord:" + dir.file("none-*.tfrecord")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no files match"), std::string::npos) << r.err;
}

TEST(BenchCommandTest, GeneratedIdxFiles) {
  TempDir dir;
  std::string pixels;
  for (int i = 0; i < 7 * 2 * 3; ++i) pixels.push_back(static_cast<char>(i));
  const std::string images = dir.file("images-idx3-ubyte");
  const std::string labels = dir.file("labels-idx1-ubyte");
  write_file(images, idx_bytes({7, 2, 3}, pixels));
  write_file(labels, idx_bytes({7}, std::string("\0\1\2\3\4\5\6", 7)));
  const std::string source = "idx:" + images + "," + labels;

  json::object o = bench_json({"--source", source, "--batch", "2"});
  EXPECT_EQ(number(o, "elements"), 7);
  EXPECT_EQ(number(o, "batches"), 4);
  // The batch gathers the rows itself (the slice + batch fusion).
  EXPECT_EQ(stage_names(o), std::vector<std::string>{"tensor_slices+batch"});
  EXPECT_EQ(o.at("stages").as_array().back().at("bytes").to_number<std::int64_t>(), 7 * (6 + 8));

  // normalize makes f32 images: 7 × (6 × 4 + 8) bytes.
  o = bench_json({"--source", source, "--normalize", "0.5,0.25", "--map-parallelism", "2", "--shuffle", "7",
                  "--batch", "3", "--prefetch", "auto"});
  EXPECT_EQ(number(o, "elements"), 7);
  EXPECT_EQ(number(o, "batches"), 3);
  // The normalising map is elementwise: the rewrites batch first, gathering the
  // shuffled rows, and normalise each batch.
  EXPECT_EQ(stage_names(o), (std::vector<std::string>{"tensor_slices+shuffle+batch", "normalize", "prefetch"}));
  EXPECT_EQ(o.at("stages").as_array().back().at("bytes").to_number<std::int64_t>(), 7 * (6 * 4 + 8));

  // A labels file with a different count is the library's data error.
  write_file(labels, idx_bytes({6}, std::string(6, '\0')));
  const RunResult r = run_spool({"bench", "--source", source});
  EXPECT_EQ(r.exit_code, 1) << r.err;
}

TEST(BenchCommandTest, FashionMnist) {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  const std::string images = (dir / "train-images-idx3-ubyte.gz").string();
  const std::string labels = (dir / "train-labels-idx1-ubyte.gz").string();
  if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) GTEST_SKIP() << "no " << dir;
  const json::object o = bench_json({"--source", "idx:" + images + "," + labels, "--normalize", "0.2860,0.3530",
                                     "--shuffle", "10000", "--batch", "32", "--prefetch", "2"});
  EXPECT_EQ(number(o, "elements"), 60000);
  EXPECT_EQ(number(o, "batches"), 1875);
  constexpr double kBytes = 60000.0 * (784 * 4 + 8);
  EXPECT_NEAR(number(o, "bytes_per_sec") * number(o, "seconds"), kBytes, 1e-6 * kBytes);
  EXPECT_GT(number(o, "elements_per_sec"), 0);
}

}  // namespace
}  // namespace spool::testing
