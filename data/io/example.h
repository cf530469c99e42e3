// tf.train.Example as an owning C++ value, with encode and decode (no libprotobuf).
//
//   Example ex;
//   ex.features["label"] = Feature::int64s({7});
//   ex.features["image/encoded"] = Feature::bytes({jpeg});
//   ex.features["bbox"] = Feature::floats({0.1f, 0.2f, 0.9f, 0.8f});
//   std::string record = encode_example(ex);   // what TensorFlow writes: packed lists
//   Example back = decode_example(record);     // back == ex
//
// Schema: tensorflow/core/example/example.proto (Example{Features features = 1}) and
// feature.proto. Encoding is deterministic: keys in sorted order, numeric lists packed,
// an empty Example is zero bytes. Decoding accepts anything protobuf accepts (unpacked
// lists, unknown fields, a Feature with no kind, repeated keys: last wins) and throws
// DataLossError naming the byte offset for anything else.
// For fast read-only access without copies see feature_view.h (for_each_feature) and
// parse_example.h.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/feature_view.h"
#include "spool/data/io/protobuf_wire.h"

namespace spool::data {

// One tf.train.Feature: a kind and the list of that kind (the other two stay empty).
struct Feature {
  FeatureKind kind = FeatureKind::kNone;
  std::vector<std::string> bytes_list;
  std::vector<float> float_list;
  std::vector<std::int64_t> int64_list;

  static Feature bytes(std::vector<std::string> values);
  static Feature floats(std::vector<float> values);
  static Feature int64s(std::vector<std::int64_t> values);
  // A copy of what a view holds.
  static Feature from_view(const FeatureView& view);

  // Number of values of the feature's kind.
  std::size_t size() const;
};

// Floats compare bit for bit, so NaN payloads and -0.0 round trip and compare equal.
bool operator==(const Feature& a, const Feature& b);

// Sorted by key: iteration order is the encoding order.
using FeatureMap = std::map<std::string, Feature, std::less<>>;

struct Example {
  FeatureMap features;
  friend bool operator==(const Example&, const Example&) = default;
};

std::string encode_example(const Example& example);
// Throws DataLossError (with the byte offset) when `bytes` is not a valid Example.
Example decode_example(std::string_view bytes);

namespace detail {
// Shared with sequence_example.cc: sizes and writers of the feature.proto messages.
std::size_t feature_size(const Feature& feature);
void write_feature(WireWriter& out, std::uint32_t field, const Feature& feature);
std::size_t features_size(const FeatureMap& features);
void write_features(WireWriter& out, std::uint32_t field, const FeatureMap& features);
// Reads map entries found by `entries` into `out`, a later key replacing an earlier one.
void read_features(MapEntryIterator entries, FeatureMap& out);
}  // namespace detail

}  // namespace spool::data
