#include "spool/data/io/feature_spec.h"

#include <algorithm>

#include "spool/tensor/error.h"

namespace spool::data {

FixedLen::FixedLen(FeatureKind kind, Shape shape) : kind_(kind), shape_(std::move(shape)) {
  for (std::int64_t d : shape_.dims()) {
    SPOOL_CHECK(d >= 0, InvalidArgument, "FixedLen: negative dimension in shape ", shape_.to_string());
  }
}

FixedLen FixedLen::int64(Shape shape, std::int64_t default_value) {
  FixedLen f(FeatureKind::kInt64, std::move(shape));
  f.has_default_ = true;
  f.int64_default_ = default_value;
  return f;
}

FixedLen FixedLen::float32(Shape shape, float default_value) {
  FixedLen f(FeatureKind::kFloat, std::move(shape));
  f.has_default_ = true;
  f.float_default_ = default_value;
  return f;
}

FixedLen FixedLen::bytes(Shape shape, std::string default_value) {
  FixedLen f(FeatureKind::kBytes, std::move(shape));
  f.has_default_ = true;
  f.bytes_default_ = std::move(default_value);
  return f;
}

std::size_t detail::FeatureSpecTable::find(std::string_view key) const {
  const auto it = std::lower_bound(by_key.begin(), by_key.end(), key,
                                   [this](std::size_t i, std::string_view k) { return entries[i].key < k; });
  return it != by_key.end() && entries[*it].key == key ? *it : FeatureSpec::kNotFound;
}

FeatureSpec::FeatureSpec() : table_(std::make_shared<const detail::FeatureSpecTable>()) {}

FeatureSpec& FeatureSpec::add(std::string key, FixedLen feature) {
  FeatureSpecEntry entry;
  entry.key = std::move(key);
  entry.fixed = true;
  entry.kind = feature.kind();
  entry.numel = feature.shape().numel();
  entry.fixed_len = std::move(feature);
  return add_entry(std::move(entry));
}

FeatureSpec& FeatureSpec::add(std::string key, VarLen feature) {
  FeatureSpecEntry entry;
  entry.key = std::move(key);
  entry.fixed = false;
  entry.kind = feature.kind();
  entry.numel = 0;
  return add_entry(std::move(entry));
}

FeatureSpec& FeatureSpec::add_entry(FeatureSpecEntry entry) {
  SPOOL_CHECK(find(entry.key) == kNotFound, InvalidArgument, "FeatureSpec: key ", quoted(entry.key),
              " added twice");
  auto table = std::make_shared<detail::FeatureSpecTable>(*table_);
  table->entries.push_back(std::move(entry));
  table->by_key.push_back(table->entries.size() - 1);
  std::sort(table->by_key.begin(), table->by_key.end(),
            [&](std::size_t a, std::size_t b) { return table->entries[a].key < table->entries[b].key; });
  table_ = std::move(table);
  return *this;
}

}  // namespace spool::data
