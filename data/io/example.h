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

// What one decoded Example or SequenceExample may hold. Decoding builds a map node per
// key and a vector per list, and a value can take a single byte on the wire (an empty
// string, a small int64), so a record's size bounds the memory only to within a
// factor of about 50. These bound it outright; a count over a limit is InvalidArgument
// naming the key. The defaults are far above what real Examples hold. parse_example
// needs none: it keeps only its spec's keys, and a VarLen list at most 8 bytes a byte.
class ExampleLimits {
 public:
  static constexpr std::size_t kDefaultMaxFeatures = std::size_t{1} << 16;
  static constexpr std::size_t kDefaultMaxValues = std::size_t{1} << 26;
  static constexpr std::size_t kDefaultMaxSteps = std::size_t{1} << 24;
  // Keys in one Features map (an Example's, a context), or feature lists in one
  // SequenceExample. Must be > 0, as must the others.
  ExampleLimits& max_features(std::size_t n);
  std::size_t max_features() const { return max_features_; }
  // Values in one feature (one step of a feature list).
  ExampleLimits& max_values(std::size_t n);
  std::size_t max_values() const { return max_values_; }
  // Steps in one feature list.
  ExampleLimits& max_steps(std::size_t n);
  std::size_t max_steps() const { return max_steps_; }

 private:
  std::size_t max_features_ = kDefaultMaxFeatures;
  std::size_t max_values_ = kDefaultMaxValues;
  std::size_t max_steps_ = kDefaultMaxSteps;
};

std::string encode_example(const Example& example);
// Throws DataLossError (with the byte offset) when `bytes` is not a valid Example, and
// InvalidArgument when it holds more than `limits` allow.
Example decode_example(std::string_view bytes, const ExampleLimits& limits = {});

namespace detail {
// Shared with sequence_example.cc: sizes and writers of the feature.proto messages.
std::size_t feature_size(const Feature& feature);
void write_feature(WireWriter& out, std::uint32_t field, const Feature& feature);
std::size_t features_size(const FeatureMap& features);
void write_features(WireWriter& out, std::uint32_t field, const FeatureMap& features);
// Reads map entries found by `entries` into `out`, a later key replacing an earlier one.
// `what` ("Example", "SequenceExample context") names the map in errors.
void read_features(MapEntryIterator entries, FeatureMap& out, const ExampleLimits& limits, const char* what);
// Throws InvalidArgument unless `count` things of `key` fit `limit` (named `limit_name`).
void check_limit(std::size_t count, std::size_t limit, const char* limit_name, const char* what, std::string_view key);
}  // namespace detail

}  // namespace spool::data
