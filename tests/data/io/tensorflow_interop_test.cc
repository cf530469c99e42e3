// Interop with files TensorFlow-ecosystem tools wrote (shared/data/tfrecord/): every
// record of every file must come out byte-identical to what MANIFEST.json records
// (sha256 per payload), and the first record must decode to the keys, kinds and value
// counts listed there. Skips with a message when the shared data folder is absent.
//
// Built into data_io_tests by the folder glob; tests/tools/CMakeLists.txt links in
// Boost::json and the test-only SHA-256 that this file needs.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spool/data/io/compression.h"
#include "spool/data/io/example.h"
#include "spool/data/io/feature_view.h"
#include "spool/data/io/protobuf_wire.h"
#include "spool/data/io/sequence_example.h"
#include "spool/data/io/tfrecord_reader.h"
#include "test_support.h"
#include "tools/sha256.h"

namespace spool::data {
namespace {

namespace json = boost::json;

std::filesystem::path tfrecord_dir() {
  const auto shared = spool::testing::shared_data_dir();
  return shared.empty() ? shared : shared / "tfrecord";
}

const json::object* manifest_entry(const std::string& file) {
  static const json::value manifest = [] {
    const auto dir = tfrecord_dir();
    if (dir.empty() || !std::filesystem::exists(dir / "MANIFEST.json")) return json::value();
    return json::parse(spool::testing::read_file((dir / "MANIFEST.json").string()));
  }();
  if (!manifest.is_object()) return nullptr;
  for (const json::value& entry : manifest.at("files").as_array()) {
    if (entry.at("file").as_string() == file) return &entry.as_object();
  }
  return nullptr;
}

// The manifest's words for a kind: "bytes_list" ... and null for a Feature with no kind.
json::value manifest_kind(FeatureKind kind) {
  if (kind == FeatureKind::kNone) return nullptr;
  return json::string(feature_kind_list_name(kind));
}

// {"key": {"type": ..., "count": N}} for a Features map read through the views.
template <typename ForEach>
json::object features_summary(ForEach&& for_each) {
  json::object out;
  for_each([&](std::string_view key, const FeatureView& feature) {
    out[key] = json::object{{"type", manifest_kind(feature.kind())}, {"count", feature.size()}};
  });
  return out;
}

json::object example_summary(std::string_view payload) {
  return features_summary([&](auto&& callback) { for_each_feature(payload, callback); });
}

json::object sequence_example_summary(std::string_view payload) {
  json::object lists;
  for_each_feature_list(payload, [&](std::string_view key, const FeatureListView& list) {
    json::array counts;
    for (const FeatureView& step : list.steps()) counts.push_back(step.size());
    lists[key] = json::object{{"type", manifest_kind(list.kind())}, {"steps", list.size()}, {"counts", counts}};
  });
  return json::object{
      {"context", features_summary([&](auto&& callback) { for_each_context_feature(payload, callback); })},
      {"feature_lists", lists}};
}

// tensorflow.serving.ExampleListWithContext: repeated Example examples = 1; Example
// context = 2. Spool has no decoder for it, so the test walks the wire format itself.
json::object elwc_summary(std::string_view payload) {
  WireReader in(payload, "ExampleListWithContext");
  std::vector<std::string_view> examples;
  std::string_view context;
  while (!in.at_end()) {
    const WireTag tag = in.read_tag();
    if (tag.field == 1 && tag.type == WireType::kLengthDelimited) examples.push_back(in.read_length_delimited());
    else if (tag.field == 2 && tag.type == WireType::kLengthDelimited) context = in.read_length_delimited();
    else in.skip(tag);
  }
  json::object out{{"context", example_summary(context)}, {"num_examples", examples.size()}};
  if (!examples.empty()) out["first_example"] = example_summary(examples.front());
  return out;
}

struct FileContents {
  std::vector<std::string> payloads;
};

FileContents read_all(const std::filesystem::path& path, Compression compression) {
  FileContents contents;
  TFRecordReader reader(path.string(), RecordOptions().compression(compression));
  while (auto record = reader.next()) contents.payloads.emplace_back(record->data.as_string_view());
  return contents;
}

class TensorflowInteropTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TensorflowInteropTest, PayloadsAndFirstRecordMatchManifest) {
  const auto dir = tfrecord_dir();
  if (dir.empty() || !std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "no shared data folder with tfrecord/ (set SPOOL_SHARED_DATA)";
  }
  const json::object* entry = manifest_entry(GetParam());
  ASSERT_NE(entry, nullptr) << GetParam() << " is not in MANIFEST.json";
  const auto path = dir / GetParam();

  // The manifest's compression, and auto detection, must read the same records.
  const Compression declared = parse_compression(entry->at("compression").as_string());
  const FileContents contents = read_all(path, Compression::kAuto);
  EXPECT_EQ(read_all(path, declared).payloads, contents.payloads);

  const auto& digests = entry->at("record_sha256").as_array();
  ASSERT_EQ(contents.payloads.size(), entry->at("records").to_number<std::size_t>());
  ASSERT_EQ(digests.size(), contents.payloads.size());
  std::uint64_t framed_size = 0;
  for (std::size_t i = 0; i < contents.payloads.size(); ++i) {
    EXPECT_EQ(spool::testing::sha256_hex(contents.payloads[i]), digests[i].as_string()) << "record #" << i;
    framed_size += contents.payloads[i].size() + 16;
  }
  EXPECT_EQ(framed_size, entry->at("uncompressed_size").to_number<std::uint64_t>());

  const std::string type(entry->at("record_type").as_string());
  const std::string_view first = contents.payloads.front();
  json::object summary;
  if (type == "example") {
    summary = json::object{{"features", example_summary(first)}};
    // Every payload must decode, including Features with no kind set (taxi).
    for (std::size_t i = 0; i < contents.payloads.size(); ++i) {
      EXPECT_NO_THROW(decode_example(contents.payloads[i])) << "record #" << i;
    }
  } else if (type == "sequence_example") {
    summary = sequence_example_summary(first);
    for (std::size_t i = 0; i < contents.payloads.size(); ++i) {
      EXPECT_NO_THROW(decode_sequence_example(contents.payloads[i])) << "record #" << i;
    }
  } else {
    ASSERT_EQ(type, "elwc");
    summary = elwc_summary(first);
  }
  EXPECT_EQ(json::value(summary), entry->at("first_record"))
      << "decoded: " << json::serialize(summary) << "\nmanifest: " << json::serialize(entry->at("first_record"));
}

const std::vector<std::string> kFiles = {
    "tfx_penguin_train.tfrecord.gz",      "tfx_sequence_train.tfrecord.gz",
    "tfx_taxi_eval-00000-of-00012.tfrecord.gz", "tfx_mnist.tfrecord",
    "ranking_train_elwc.tfrecord",        "ranking_vali_numerical_elwc.tfrecord",
    "transform_sequence_example.tfrecord.gz", "raccoon_test.record",
};

// gtest names allow only [A-Za-z0-9_].
std::string test_name(const ::testing::TestParamInfo<std::string>& param) {
  std::string name;
  for (char c : param.param) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, TensorflowInteropTest, ::testing::ValuesIn(kFiles), test_name);

// Every file in the folder is tested, so a file added to shared/ is not silently left out.
TEST(TensorflowInteropFolderTest, EveryFileIsTested) {
  const auto dir = tfrecord_dir();
  if (dir.empty() || !std::filesystem::is_directory(dir)) GTEST_SKIP() << "no shared data folder with tfrecord/";
  std::set<std::string> on_disk;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().filename() != "MANIFEST.json") on_disk.insert(file.path().filename().string());
  }
  EXPECT_EQ(on_disk, std::set<std::string>(kFiles.begin(), kFiles.end()));
}

}  // namespace
}  // namespace spool::data
