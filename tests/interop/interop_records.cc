// The Spool side of the node interop test (run_node_interop.sh):
//
//   interop_records write FILE none|zlib|gzip   writes fixed records with TFRecordWriter
//   interop_records read FILE none|zlib|gzip    reads FILE with TFRecordReader
//
// Both print, per record, "INDEX LENGTH SHA256 KEY:KIND:COUNT,..." (keys sorted, "-"
// for an Example without features), the format tfrecords_node.js prints, so the test
// can diff what each side wrote against what the other side read.
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "spool/data/io/example.h"
#include "spool/data/io/feature_view.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "tools/sha256.h"

namespace {

using namespace spool::data;

std::string line(std::size_t index, std::string_view payload) {
  std::map<std::string, std::string> features;  // sorted, as the node side sorts
  for_each_feature(payload, [&](std::string_view key, const FeatureView& feature) {
    features[std::string(key)] = std::string(feature_kind_name(feature.kind())) + ":" + std::to_string(feature.size());
  });
  std::string summary;
  for (const auto& [key, value] : features) summary += (summary.empty() ? "" : ",") + key + ":" + value;
  return std::to_string(index) + " " + std::to_string(payload.size()) + " " + spool::testing::sha256_hex(payload) +
         " " + (summary.empty() ? "-" : summary);
}

// Every kind, negative and large int64s, an empty list, a Feature with no kind, a
// payload past 64 KiB, and optionally an empty Example (zero bytes): the package's
// own reader throws on an empty payload, so only one file has it.
std::vector<std::string> payloads(bool with_empty) {
  std::vector<std::string> out;
  for (int i = 0; i < 5; ++i) {
    Example ex;
    ex.features["label"] = Feature::int64s({i * 1000003 - 7, INT64_MIN + i, INT64_MAX - i});
    ex.features["scores"] = Feature::floats({0.5f * static_cast<float>(i), -1.25f, 3.0e-8f});
    ex.features["name"] = Feature::bytes({"record " + std::to_string(i) + " \xc3\xa9t\xc3\xa9", ""});
    ex.features["empty"] = Feature::floats({});
    ex.features["missing"] = Feature{};
    out.push_back(encode_example(ex));
  }
  if (with_empty) out.push_back(encode_example(Example{}));
  Example big;
  std::string blob(70000, '\0');
  for (std::size_t j = 0; j < blob.size(); ++j) blob[j] = static_cast<char>((j * 7) & 0xff);
  big.features["blob"] = Feature::bytes({blob});
  out.push_back(encode_example(big));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: interop_records write|read FILE none|zlib|gzip\n";
    return 2;
  }
  const std::string mode = argv[1];
  const std::string path = argv[2];
  try {
    const Compression compression = parse_compression(argv[3]);
    if (mode == "write") {
      TFRecordWriter writer(path, WriterOptions().compression(compression));
      const std::vector<std::string> records = payloads(compression == Compression::kNone);
      for (const std::string& record : records) writer.write(record);
      writer.close();
      for (std::size_t i = 0; i < records.size(); ++i) std::cout << line(i, records[i]) << '\n';
    } else if (mode == "read") {
      TFRecordReader reader(path, RecordOptions().compression(compression));
      while (const std::optional<Record> record = reader.next()) {
        std::cout << line(record->index, record->view()) << '\n';
      }
    } else {
      std::cerr << "interop_records: unknown mode '" << mode << "'\n";
      return 2;
    }
  } catch (const spool::Error& e) {
    std::cerr << "interop_records: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
