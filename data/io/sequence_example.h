// tf.train.SequenceExample: an owning value with encode/decode, and zero-copy views.
//
//   SequenceExample se;
//   se.context["length"] = Feature::int64s({2});
//   se.feature_lists["tokens"] = {Feature::bytes({"a", "b"}), Feature::bytes({})};
//   std::string record = encode_sequence_example(se);
//   SequenceExample back = decode_sequence_example(record);   // back == se
//
//   for_each_feature_list(record, [](std::string_view key, const FeatureListView& list) {
//     for (const FeatureView& step : list.steps()) use(key, step.size());
//   });
//
// Schema (tensorflow/core/example/example.proto, feature.proto):
//   SequenceExample{ Features context = 1; FeatureLists feature_lists = 2; }
//   FeatureLists{ map<string, FeatureList> feature_list = 1; }
//   FeatureList{ repeated Feature feature = 1; }
// Decoding rules are those of example.h (unknown fields skipped, repeated keys: last
// wins, empty Features accepted, DataLossError with the offset otherwise).
// Lifetime: views point into the record's bytes. Thread-safety: plain values, pure
// functions, immutable views.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/example.h"
#include "spool/data/io/feature_view.h"

namespace spool::data {

using FeatureListMap = std::map<std::string, std::vector<Feature>, std::less<>>;

struct SequenceExample {
  FeatureMap context;
  FeatureListMap feature_lists;
  friend bool operator==(const SequenceExample&, const SequenceExample&) = default;
};

std::string encode_sequence_example(const SequenceExample& example);
// Throws DataLossError (with the byte offset) when `bytes` is not a valid SequenceExample,
// and InvalidArgument when it holds more than `limits` allow.
SequenceExample decode_sequence_example(std::string_view bytes, const ExampleLimits& limits = {});

// The steps of one tf.train.FeatureList, each validated (DataLossError if malformed).
class FeatureListView {
 public:
  FeatureListView() = default;
  // More than max_steps steps is InvalidArgument (see ExampleLimits).
  explicit FeatureListView(WireReader feature_list, std::size_t max_steps = ExampleLimits::kDefaultMaxSteps);

  const std::vector<FeatureView>& steps() const { return steps_; }
  std::size_t size() const { return steps_.size(); }
  // The kind of the first step that has one; kNone when no step has a kind. Steps of
  // different kinds are possible on the wire; parse_sequence_example rejects them.
  FeatureKind kind() const;

 private:
  std::vector<FeatureView> steps_;
};

// callback(std::string_view key, const FeatureView&) for each context feature.
template <typename Callback>
void for_each_context_feature(std::string_view sequence_example, Callback&& callback) {
  for_each_map_entry<FeatureView>(sequence_example, "SequenceExample", /*outer_field=*/1, callback);
}

// callback(std::string_view key, const FeatureListView&) for each feature list.
template <typename Callback>
void for_each_feature_list(std::string_view sequence_example, Callback&& callback) {
  for_each_map_entry<FeatureListView>(sequence_example, "SequenceExample", /*outer_field=*/2, callback);
}

}  // namespace spool::data
