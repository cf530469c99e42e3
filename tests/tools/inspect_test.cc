// spool inspect: the JSON Lines schema exactly, the readable line, --limit and
// --compression, on files written with the library's writer.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>

#include "spool/data/io/example.h"
#include "test_support.h"
#include "tools/run_spool.h"
#include "tools/test_files.h"

namespace spool::testing {
namespace {

namespace json = boost::json;
using data::Feature;

std::vector<json::value> json_lines(const RunResult& r) {
  std::vector<json::value> out;
  for (const std::string& line : lines(r.out)) out.push_back(json::parse(line));  // throws if not valid JSON
  return out;
}

class InspectTest : public ::testing::Test {
 protected:
  // Record 0: every kind, a Feature with no kind, more than 8 values; record 1: not
  // an Example (field number 0 is invalid protobuf); record 2: an empty Example.
  void SetUp() override {
    data::Example ex;
    ex.features["label"] = Feature::int64s({-7, std::numeric_limits<std::int64_t>::max()});
    ex.features["scores"] = Feature::floats({0.1f, -2.5f, 1e-8f, 3.4028235e38f, 0, 1, 2, 3, 4, 5});
    ex.features["image/encoded"] = Feature::bytes({"abc", "", std::string(300, 'x')});
    ex.features["missing"] = Feature{};
    frames_ = write_records(path_, {data::encode_example(ex), std::string("\x00\x01", 2), ""});
  }
  TempDir dir_;
  std::string path_ = dir_.file("mixed.tfrecord");
  data::RecordIndex frames_;
};

TEST_F(InspectTest, JsonSchema) {
  const RunResult r = run_spool({"inspect", "--json", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<json::value> records = json_lines(r);
  ASSERT_EQ(records.size(), 3u);

  const json::value first = json::parse(R"({
    "file": null, "index": 0, "offset": 0, "length": 0,
    "features": {
      "image/encoded": {"type": "bytes", "count": 3, "values": [3, 0, 300]},
      "label": {"type": "int64", "count": 2, "values": [-7, 9223372036854775807]},
      "missing": {"type": null, "count": 0, "values": []},
      "scores": {"type": "float", "count": 10,
                 "values": [0.1, -2.5, 1e-8, 3.4028235e38, 0, 1, 2, 3]}
    }})");
  json::object expected = first.as_object();
  expected["file"] = path_;
  expected["length"] = frames_[0].payload_size();
  EXPECT_EQ(records[0], json::value(expected)) << json::serialize(records[0]);

  const json::object not_example{
      {"file", path_}, {"index", 1}, {"offset", frames_[1].offset}, {"length", 2}};
  EXPECT_EQ(records[1], json::value(not_example));
  const json::object empty{{"file", path_},   {"index", 2},   {"offset", frames_[2].offset},
                           {"length", 0},     {"features", json::object{}}};
  EXPECT_EQ(records[2], json::value(empty));
}

TEST_F(InspectTest, JsonTextIsCompactWithShortestFloats) {
  const RunResult r = run_spool({"inspect", "--json", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> out = lines(r.out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(out[0].find(R"("scores":{"type":"float","count":10,"values":[0.1,-2.5,1e-08,3.4028235e+38,0,1,2,3]})"),
            std::string::npos)
      << out[0];
  EXPECT_EQ(out[0].rfind(R"({"file":)", 0), 0u);
  EXPECT_NE(out[0].find(R"("index":0,"offset":0,"length":)"), std::string::npos) << out[0];
}

TEST(InspectJsonTest, FloatsRoundTripAndNonFiniteAreStrings) {
  TempDir dir;
  const std::string path = dir.file("floats.tfrecord");
  const std::vector<float> values = {0.3f, 1.0f / 3.0f, -0.0f, 1.17549435e-38f, 16777217.0f,
                                     std::numeric_limits<float>::quiet_NaN(),
                                     std::numeric_limits<float>::infinity(),
                                     -std::numeric_limits<float>::infinity()};
  data::Example ex;
  ex.features["f"] = Feature::floats(values);
  write_records(path, {data::encode_example(ex)});
  const RunResult r = run_spool({"inspect", "--json", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::array got = json::parse(lines(r.out).at(0)).at("features").at("f").at("values").as_array();
  ASSERT_EQ(got.size(), 8u);
  for (std::size_t i = 0; i < 5; ++i) {
    const float back = static_cast<float>(got[i].to_number<double>());
    EXPECT_EQ(std::memcmp(&back, &values[i], sizeof back), 0) << i << ": " << json::serialize(got[i]);
  }
  EXPECT_EQ(got[5], json::value("NaN"));
  EXPECT_EQ(got[6], json::value("Infinity"));
  EXPECT_EQ(got[7], json::value("-Infinity"));
}

TEST(InspectJsonTest, OddKeysAreEscapedAndValidUtf8) {
  TempDir dir;
  const std::string path = dir.file("keys.tfrecord");
  data::Example ex;
  ex.features[std::string("q\"b\\s\n\x01", 7)] = Feature::int64s({1});
  ex.features["caf\xc3\xa9"] = Feature::int64s({2});
  ex.features["bad\xff\xc3"] = Feature::int64s({3});
  write_records(path, {data::encode_example(ex)});
  const RunResult r = run_spool({"inspect", "--json", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string line = lines(r.out).at(0);
  EXPECT_NE(line.find(R"("q\"b\\s\n\u0001":)"), std::string::npos) << line;
  const json::object features = json::parse(line).at("features").as_object();  // the parser checks UTF-8
  EXPECT_EQ(features.at(std::string("q\"b\\s\n\x01", 7)).at("values").at(0), 1);
  EXPECT_EQ(features.at("caf\xc3\xa9").at("values").at(0), 2);
  EXPECT_EQ(features.at("bad\xef\xbf\xbd\xef\xbf\xbd").at("values").at(0), 3);
}

TEST_F(InspectTest, ReadableLines) {
  const RunResult r = run_spool({"inspect", path_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string length0 = std::to_string(frames_[0].payload_size());
  EXPECT_EQ(lines(r.out),
            (std::vector<std::string>{
                path_ + " #0 offset=0 length=" + length0 +
                    " image/encoded=bytes[3](3B,0B,300B) label=int64[2](-7,9223372036854775807)"
                    " missing=none[0] scores=float[10](0.1,-2.5,1e-08,...)",
                path_ + " #1 offset=" + std::to_string(frames_[1].offset) + " length=2 (not a tf.train.Example)",
                path_ + " #2 offset=" + std::to_string(frames_[2].offset) + " length=0",
            }));
}

TEST(InspectLimitTest, LimitCountsPerFile) {
  TempDir dir;
  const std::string a = dir.file("a.tfrecord");
  const std::string b = dir.file("b.tfrecord");
  write_records(a, labelled_examples(5));
  write_records(b, labelled_examples(2));
  const RunResult r = run_spool({"inspect", "--json", "--limit", "3", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<json::value> records = json_lines(r);
  ASSERT_EQ(records.size(), 5u);
  const std::vector<std::pair<std::string, std::int64_t>> expected = {{a, 0}, {a, 1}, {a, 2}, {b, 0}, {b, 1}};
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].at("file"), json::value(expected[i].first));
    EXPECT_EQ(records[i].at("index"), expected[i].second);
    EXPECT_EQ(records[i].at("features").at("label").at("values").at(0), expected[i].second);
  }
  const RunResult none = run_spool({"inspect", "--limit", "0", a, b});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.out, "");
}

TEST(InspectCompressionTest, AutoAndExplicitAgreeOnEveryCompression) {
  TempDir dir;
  const std::string plain = dir.file("plain.tfrecord");
  write_records(plain, labelled_examples(4));
  const std::string plain_out = run_spool({"inspect", "--json", plain}).out;
  for (const char* name : {"none", "zlib", "gzip"}) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(std::string("c.") + name);
    const data::RecordIndex frames = write_records(path, labelled_examples(4), data::parse_compression(name));
    const RunResult automatic = run_spool({"inspect", "--json", path});
    const RunResult explicit_ = run_spool({"inspect", "--json", "--compression", name, path});
    ASSERT_EQ(automatic.exit_code, 0) << automatic.err;
    ASSERT_EQ(explicit_.exit_code, 0) << explicit_.err;
    EXPECT_EQ(automatic.out, explicit_.out);
    const std::vector<json::value> records = json_lines(automatic);
    ASSERT_EQ(records.size(), 4u);
    // Offsets count bytes of the uncompressed stream, so they match the plain file.
    for (std::size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].at("offset"), frames[i].offset);
      EXPECT_EQ(json::serialize(records[i].at("features")),
                json::serialize(json::parse(lines(plain_out)[i]).at("features")));
    }
  }
}

TEST(InspectCompressionTest, WrongCompressionIsADataError) {
  TempDir dir;
  const std::string path = dir.file("c.gz");
  write_records(path, labelled_examples(2), data::Compression::kGzip);
  const RunResult r = run_spool({"inspect", "--compression", "none", path});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("spool inspect: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace spool::testing
