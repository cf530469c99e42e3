// spool demo: the file it writes is sound, holds the documented features, and is what
// the README's `spool demo && spool verify ... && spool inspect ...` shows.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "spool/data/io/example.h"
#include "spool/data/io/tfrecord_reader.h"
#include "test_support.h"
#include "tools/run_spool.h"

namespace spool::testing {
namespace {

std::vector<data::Example> read_examples(const std::string& path) {
  std::vector<data::Example> out;
  data::TFRecordReader reader(path);
  while (auto record = reader.next()) out.push_back(data::decode_example(record->view()));
  return out;
}

TEST(DemoCommandTest, SyntheticRecords) {
  TempDir dir;
  const std::string path = dir.file("demo.tfrecord");
  const RunResult r = run_spool({"demo", "--output", path, "--records", "12", "--source", "synthetic"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote 12 tf.train.Example records (synthetic images) to " + path + "\n");
  const std::vector<data::Example> examples = read_examples(path);
  ASSERT_EQ(examples.size(), 12u);
  for (std::size_t i = 0; i < examples.size(); ++i) {
    const data::FeatureMap& f = examples[i].features;
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f.at("label").int64_list, std::vector<std::int64_t>{static_cast<std::int64_t>(i % 10)});
    ASSERT_EQ(f.at("image/encoded").bytes_list.size(), 1u);
    EXPECT_EQ(f.at("image/encoded").bytes_list[0].size(), 784u);
    EXPECT_EQ(f.at("image/shape").int64_list, (std::vector<std::int64_t>{28, 28, 1}));
    EXPECT_EQ(f.at("name").bytes_list, std::vector<std::string>{"synthetic/" + std::to_string(i)});
  }
  EXPECT_NE(examples[0].features.at("image/encoded"), examples[1].features.at("image/encoded"));
}

TEST(DemoCommandTest, FashionMnistWhenInstalled) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  }
  TempDir dir;
  const std::string path = dir.file("fashion.tfrecord");
  const RunResult r = run_spool({"demo", "--output", path, "--records", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote 3 tf.train.Example records (Fashion-MNIST training images) to " + path + "\n");
  const std::vector<data::Example> examples = read_examples(path);
  ASSERT_EQ(examples.size(), 3u);
  // The first training labels of Fashion-MNIST: ankle boot, T-shirt, T-shirt.
  const std::vector<std::int64_t> labels = {9, 0, 0};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(examples[i].features.at("label").int64_list, std::vector<std::int64_t>{labels[i]});
    EXPECT_EQ(examples[i].features.at("name").bytes_list[0], "fashion-mnist/train/0000" + std::to_string(i));
  }
}

TEST(DemoCommandTest, ReadmeFlowWorks) {
  TempDir dir;
  const std::string path = dir.file("demo.tfrecord");
  ASSERT_EQ(run_spool({"demo", "--output", path, "--source", "synthetic"}).exit_code, 0);
  const RunResult verify = run_spool({"verify", path});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out, path + ": ok, 16 records, compression none\n");
  const RunResult inspect = run_spool({"inspect", "--limit", "2", path});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const std::vector<std::string> out = lines(inspect.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].rfind(path + " #0 offset=0 length=", 0), 0u) << out[0];
  EXPECT_NE(out[0].find(" image/encoded=bytes[1](784B) image/shape=int64[3](28,28,1) label=int64[1](0)"
                        " name=bytes[1](11B)"),
            std::string::npos)
      << out[0];
}

TEST(DemoCommandTest, DefaultOutputIsInTheWorkingDirectory) {
  // Only checks the documented default name through --help, to leave the cwd alone.
  const RunResult r = run_spool({"demo", "--help"});
  EXPECT_NE(r.out.find("demo.tfrecord"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace spool::testing
