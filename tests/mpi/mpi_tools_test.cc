// `spool convert` and `spool bench` under `mpirun -np 2` (this program is not started
// by mpirun: each test runs mpirun, and the same command in one process, as children
// and compares what they wrote and printed).
//   - convert idx / images on 2 workers: the same files as one process, byte for byte
//     (sha256 of each), dataset_info.json included (both runs write to the same --out)
//   - a corrupt image without --skip-errors: exit 1, the message names the worker and
//     the file, and --out is left absent (or empty, when it was an empty folder)
//   - with --skip-errors: the skipped item leaves its shard one record short
//   - a non-empty --out: refused once (exit 2), by worker 0
//   - bench --json on 2 workers counts the elements one process counts (FILE and DATA)
//   - train on 2 workers: MultiWorkerMirroredStrategy with no flag, one process's model
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "spool/spool.h"
#include "test_support.h"
#include "tools/convert_test_support.h"
#include "tools/run_spool.h"
#include "tools/sha256.h"

namespace spool::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// What mpirun needs here (as tests/mpi/CMakeLists.txt sets for the other scenarios):
// running as root, 2 workers on fewer cores, no CMA between containers' processes.
// Variables already set win.
void set_mpirun_environment() {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
  setenv("SPOOL_NUM_THREADS", "1", 0);
}

// mpirun -np 2 spool ARGS... Under AddressSanitizer the workers run without leak
// checks: Open MPI's libraries keep allocations to the end (ompi_op_base_op_select, its
// dlopened components) that LeakSanitizer reports, with stacks too short to suppress.
// The same commands in one process (each test runs them too) are leak-checked.
RunResult run_on(int ranks, const std::vector<std::string>& args) {
  set_mpirun_environment();
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string worker_asan = std::string(asan != nullptr ? asan : "") + (asan != nullptr ? ":" : "") +
                                  "detect_leaks=0";
  std::vector<std::string> all{"--oversubscribe", "-x", "ASAN_OPTIONS=" + worker_asan, "-np", std::to_string(ranks),
                               SPOOL_CLI_PATH};
  all.insert(all.end(), args.begin(), args.end());
  return run_program(SPOOL_MPIRUN, all);
}

RunResult run_on_two(const std::vector<std::string>& args) { return run_on(2, args); }

// File name -> sha256 of its bytes, for every file of `dir`.
std::map<std::string, std::string> digests(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    out[e.path().filename().string()] = sha256_hex(read_file(e.path().string()));
  }
  return out;
}

// Runs `spool convert ARGS --out DIR` in one process and under mpirun, both writing
// DIR (the options in dataset_info.json then agree), and checks the files are equal.
void expect_same_output(const TempDir& tmp, std::vector<std::string> args) {
  const std::string out = tmp.file("out");
  args.insert(args.end(), {"--out", out, "--threads", "2"});
  const RunResult one = run_spool(args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const std::map<std::string, std::string> expected = digests(out);
  fs::remove_all(out);
  const RunResult two = run_on_two(args);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(digests(out), expected);
  EXPECT_TRUE(expected.count("dataset_info.json") > 0);
  EXPECT_GE(expected.size(), 2u);  // shards and the info
  // One summary line, worker 0's, the same as one process's but for the timing.
  ASSERT_EQ(lines(two.out).size(), 1u) << two.out;
  EXPECT_EQ(two.out.substr(0, two.out.find(';')), one.out.substr(0, one.out.find(';')));
}

std::string pixels(std::size_t n) {
  std::string data(n, '\0');
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 37 + i / 11) % 256);
  return data;
}

TEST(MpiConvert, IdxOnTwoWorkersWritesOneProcesssBytes) {
  TempDir tmp;
  const std::uint32_t n = 53;
  write_idx(tmp.file("images-idx3-ubyte"), {n, 6, 5}, pixels(n * 30), false);
  std::string labels;
  for (std::uint32_t i = 0; i < n; ++i) labels.push_back(static_cast<char>(i * 7 % 10));
  write_idx(tmp.file("labels-idx1-ubyte.gz"), {n}, labels, true);
  const std::vector<std::string> pair{"convert", "idx", "--images", tmp.file("images-idx3-ubyte"), "--labels",
                                      tmp.file("labels-idx1-ubyte.gz")};
  std::vector<std::string> args = pair;
  args.insert(args.end(), {"--shards", "5"});  // 3 shards on worker 0, 2 on worker 1
  expect_same_output(tmp, args);
  args = pair;
  args.insert(args.end(), {"--shards", "1", "--format", "raw", "--compression", "gzip", "--overwrite"});
  expect_same_output(tmp, args);  // worker 1 has no shard
}

TEST(MpiConvert, FashionMnistTestSplit) {
  const fs::path dir = shared_data_dir() / "fashion-mnist";
  if (!fs::exists(dir / "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST in " << dir;
  TempDir tmp;
  expect_same_output(tmp, {"convert", "idx", "--images", (dir / "t10k-images-idx3-ubyte.gz").string(), "--labels",
                           (dir / "t10k-labels-idx1-ubyte.gz").string()});
}

// Two classes of small PNGs of several sizes; `bad` adds a corrupt one to class b.
void write_folder(const fs::path& root, bool bad) {
  for (const char* cls : {"a", "b"}) {
    fs::create_directories(root / cls);
    for (int i = 0; i < 9; ++i) {
      const std::int64_t h = 3 + i % 3;
      Tensor image = Tensor::empty(Shape({h, 4, 3}), DType::kU8);
      const std::string bytes = pixels(static_cast<std::size_t>(h * 4 * 3 + i));
      std::memcpy(image.raw_data(), bytes.data() + i, bytes.size() - static_cast<std::size_t>(i));
      write_file((root / cls / ("img" + std::to_string(i) + ".png")).string(), data::encode_png(image));
    }
  }
  if (bad) write_file((root / "b" / "img4x.png").string(), "\x89PNG\r\n\x1a\n not really");
}

TEST(MpiConvert, ImagesWithValidationSplit) {
  TempDir tmp;
  write_folder(tmp.path() / "in", false);
  expect_same_output(tmp, {"convert", "images", "--from", tmp.file("in"), "--validation-split", "0.3", "--seed", "7",
                           "--shards", "3", "--validation-shards", "2"});
  expect_same_output(tmp, {"convert", "images", "--from", tmp.file("in"), "--format", "raw", "--overwrite"});
}

TEST(MpiConvert, BadImageEndsTheJobNamingTheFile) {
  TempDir tmp;
  write_folder(tmp.path() / "in", true);
  const std::string out = tmp.file("out");
  const RunResult r = run_on_two({"convert", "images", "--from", tmp.file("in"), "--out", out, "--shards", "4"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("img4x.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("spool convert images: worker "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(r.out, "");
  // An empty folder given as --out stays, empty.
  fs::create_directories(out);
  const RunResult again = run_on_two({"convert", "images", "--from", tmp.file("in"), "--out", out, "--shards", "4"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(out));
}

TEST(MpiConvert, SkippedItemLeavesItsShardOneShort) {
  TempDir tmp;
  write_folder(tmp.path() / "in", true);  // 19 files; the bad one is item 14 (b/img4x.png after b/img4.png)
  const std::string out = tmp.file("out");
  const RunResult r =
      run_on_two({"convert", "images", "--from", tmp.file("in"), "--out", out, "--shards", "4", "--skip-errors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 18 examples (train 18) in 4 shards"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", skipped 1;"), std::string::npos) << r.out;
  const json::object info = read_info(out);
  EXPECT_EQ(info.at("examples").as_int64(), 18);
  const json::array& skipped = info.at("skipped").as_array();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].at("file").as_string(), "b/img4x.png");
  // Items 0..18 over 4 shards: 5, 5, 5, 4; item 14 (shard 2) was skipped.
  std::vector<std::int64_t> counts;
  for (const json::value& shard : info.at("splits").at("train").at("shards").as_array()) {
    counts.push_back(shard.at("examples").as_int64());
  }
  EXPECT_EQ(counts, (std::vector<std::int64_t>{5, 5, 4, 4}));
  const std::map<std::string, std::vector<data::Example>> shards = read_shards(out, "train");
  ASSERT_EQ(shards.size(), 4u);
  const std::vector<data::Example>& shard2 = shards.at("train-00002-of-00004.tfrecord");
  ASSERT_EQ(shard2.size(), 4u);
  EXPECT_EQ(bytes_feature(shard2[3], "image/filename"), "b/img8.png");  // item 18, not shifted
}

TEST(MpiConvert, NonEmptyOutIsRefusedOnce) {
  TempDir tmp;
  write_folder(tmp.path() / "in", false);
  fs::create_directories(tmp.file("out"));
  write_file(tmp.file("out/keep.txt"), "mine");
  const RunResult r = run_on_two({"convert", "images", "--from", tmp.file("in"), "--out", tmp.file("out")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const std::string message = "is not empty (--overwrite replaces its contents)";
  const std::size_t first = r.err.find(message);
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(message, first + 1), std::string::npos) << r.err;
  EXPECT_EQ(digests(tmp.file("out")).size(), 1u);
}

json::object bench_json(const RunResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 1u) << r.out;
  return json::parse(r.out).as_object();
}

// mpirun -np 2 spool train picks MultiWorkerMirroredStrategy by itself, and the two
// workers train the model one process trains (the same global batches): worker 0
// alone prints, ends with the test accuracy and writes --out.
TEST(MpiTrain, TwoWorkersTrainTheOneProcessModel) {
  TempDir tmp;
  write_fashion_files(tmp.path().string(), 300, 100);
  const std::vector<std::string> args{"train", "--data", tmp.path().string(), "--model", "mlp", "--epochs", "2",
                                      "--seed", "3"};
  std::vector<std::string> one_args = args, two_args = args;
  one_args.insert(one_args.end(), {"--threads", "1", "--out", tmp.file("one")});
  two_args.insert(two_args.end(), {"--out", tmp.file("two")});
  const RunResult one = run_spool(one_args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const RunResult two = run_on_two(two_args);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.out.find("strategy MultiWorkerMirroredStrategy: 2 replicas in sync (2 workers × 1)"),
            std::string::npos)
      << two.out;
  const std::vector<std::string> printed = lines(two.out);
  ASSERT_FALSE(printed.empty());
  EXPECT_EQ(printed.back().rfind("test accuracy: 0.", 0), 0u) << two.out;
  std::size_t accuracy_lines = 0;
  for (const auto& l : printed) accuracy_lines += l.rfind("test accuracy:", 0) == 0 ? 1 : 0;
  EXPECT_EQ(accuracy_lines, 1u) << "only worker 0 prints:\n" << two.out;
  const double a1 = std::stod(lines(one.out).back().substr(15)), a2 = std::stod(printed.back().substr(15));
  EXPECT_NEAR(a1, a2, 0.02);  // 100 test images: a flipped prediction is 0.01
  EXPECT_GT(a2, 0.5);
  EXPECT_TRUE(fs::is_regular_file(tmp.file("two") + "/checkpoint.tensors"));
  EXPECT_EQ(lines(read_file(tmp.file("two") + "/metrics.jsonl")).size(), 2u);
}

// mpirun -np 4 spool train --strategy parameter-server: rank 0 coordinates, rank 1
// serves, ranks 2 and 3 work; the coordinator alone prints and writes --out, with every
// update of the epoch counted by its staleness.
TEST(MpiTrain, ParameterServerRanksTrainAsynchronously) {
  TempDir tmp;
  write_fashion_files(tmp.path().string(), 300, 100);
  const RunResult r = run_on(4, {"train", "--data", tmp.path().string(), "--model", "mlp", "--epochs", "2", "--seed",
                                 "3", "--strategy", "parameter-server", "--ps", "1", "--out", tmp.file("ps")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("strategy ParameterServerStrategy: 2 workers (ranks), 1 server (ranks), asynchronous · 10 "
                       "updates an epoch · rank 0 coordinates, rank 1 serves, ranks 2-3 work\n"),
            std::string::npos)
      << r.out;
  const std::vector<std::string> printed = lines(r.out);
  ASSERT_FALSE(printed.empty());
  EXPECT_EQ(printed.back().rfind("test accuracy: 0.", 0), 0u) << r.out;
  EXPECT_GT(std::stod(printed.back().substr(15)), 0.5);
  const std::vector<std::string> metrics = lines(read_file(tmp.file("ps") + "/metrics.jsonl"));
  ASSERT_EQ(metrics.size(), 2u);
  const json::object last = json::parse(metrics[1]).as_object();
  double updates = 0;
  for (const auto& [key, value] : last) {
    if (key.starts_with("staleness_") && key != "staleness_mean" && key != "staleness_max") {
      updates += value.to_number<double>();
    }
  }
  EXPECT_EQ(updates, 10) << metrics[1];  // 300 examples in batches of 32
  EXPECT_EQ(last.at("step").to_number<int>(), 20);
}

TEST(MpiBench, TwoWorkersCountWhatOneProcessCounts) {
  TempDir tmp;
  const std::uint32_t n = 101;
  write_idx(tmp.file("images"), {n, 4, 4}, pixels(n * 16), false);
  write_idx(tmp.file("labels"), {n}, std::string(n, '\1'), false);
  ASSERT_EQ(run_spool({"convert", "idx", "--images", tmp.file("images"), "--labels", tmp.file("labels"), "--out",
                       tmp.file("shards"), "--shards", "5"})
                .exit_code,
            0);
  const std::vector<std::vector<std::string>> cases = {
      {"bench", "--source", "tfrecord:" + tmp.file("shards") + "/*.tfrecord", "--json"},  // FILE: 3 + 2 files
      {"bench", "--source", "idx:" + tmp.file("images") + "," + tmp.file("labels"), "--shuffle", "7", "--batch", "8",
       "--json"}};  // DATA
  for (const std::vector<std::string>& args : cases) {
    const json::object one = bench_json(run_spool(args));
    const json::object two = bench_json(run_on_two(args));
    EXPECT_EQ(one.at("elements").as_int64(), n);
    EXPECT_EQ(two.at("elements").as_int64(), n);
    EXPECT_EQ(two.at("bytes_per_sec").as_double() * two.at("seconds").as_double() > 0, true);
    EXPECT_EQ(one.at("workers").as_int64(), 1);
    EXPECT_EQ(two.at("workers").as_int64(), 2);
    const std::string sharding(two.at("sharding").as_string());
    EXPECT_EQ(sharding.substr(0, 4), args[2].rfind("tfrecord", 0) == 0 ? "FILE" : "DATA") << sharding;
  }
  const RunResult text = run_on_two({"bench", "--source", "tfrecord:" + tmp.file("shards") + "/*.tfrecord"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("101 elements, 101 batches"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("workers: 2 (FILE: "), std::string::npos) << text.out;
}

}  // namespace
}  // namespace spool::testing
