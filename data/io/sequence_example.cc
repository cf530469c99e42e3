#include "spool/data/io/sequence_example.h"

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

std::size_t feature_list_size(const std::vector<Feature>& steps) {
  std::size_t n = 0;
  for (const Feature& step : steps) n += length_delimited_size(detail::feature_size(step));
  return n;
}

std::size_t feature_lists_size(const FeatureListMap& lists) {
  std::size_t n = 0;
  for (const auto& [key, steps] : lists) {
    n += length_delimited_size(length_delimited_size(key.size()) + length_delimited_size(feature_list_size(steps)));
  }
  return n;
}

}  // namespace

FeatureListView::FeatureListView(WireReader feature_list, std::size_t max_steps) {
  while (!feature_list.at_end()) {
    const WireTag tag = feature_list.read_tag();
    if (tag.field == 1) {
      feature_list.expect(tag, WireType::kLengthDelimited, "FeatureList.feature");
      SPOOL_CHECK(steps_.size() < max_steps, InvalidArgument, "SequenceExample: a feature list at offset ", tag.offset,
                  " holds more than ExampleLimits::max_steps (", max_steps, ") steps");
      steps_.emplace_back(feature_list.read_message());
    } else {
      feature_list.skip(tag);
    }
  }
}

FeatureKind FeatureListView::kind() const {
  for (const FeatureView& step : steps_) {
    if (step.kind() != FeatureKind::kNone) return step.kind();
  }
  return FeatureKind::kNone;
}

std::string encode_sequence_example(const SequenceExample& example) {
  std::string out;
  WireWriter writer(out);
  if (!example.context.empty()) detail::write_features(writer, 1, example.context);
  if (example.feature_lists.empty()) return out;
  writer.begin_length_delimited(2, feature_lists_size(example.feature_lists));
  for (const auto& [key, steps] : example.feature_lists) {
    const std::size_t list_size = feature_list_size(steps);
    writer.begin_length_delimited(1, length_delimited_size(key.size()) + length_delimited_size(list_size));
    writer.length_delimited(1, key);
    writer.begin_length_delimited(2, list_size);
    for (const Feature& step : steps) detail::write_feature(writer, 1, step);
  }
  return out;
}

SequenceExample decode_sequence_example(std::string_view bytes, const ExampleLimits& limits) {
  SequenceExample example;
  const WireReader record(bytes, "SequenceExample");
  detail::read_features(MapEntryIterator(record, 1), example.context, limits, "SequenceExample context");
  MapEntryIterator lists(record, 2);
  std::string_view key;
  WireReader value = record;
  while (lists.next(key, value)) {
    const FeatureListView view(value, limits.max_steps());
    std::vector<Feature> steps;
    steps.reserve(view.size());
    for (const FeatureView& step : view.steps()) {
      detail::check_limit(step.size(), limits.max_values(), "max_values", "SequenceExample feature list", key);
      steps.push_back(Feature::from_view(step));
    }
    example.feature_lists.insert_or_assign(std::string(key), std::move(steps));
    detail::check_limit(example.feature_lists.size(), limits.max_features(), "max_features", "SequenceExample feature lists",
                        key);
  }
  return example;
}

}  // namespace spool::data
