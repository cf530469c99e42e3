#include "spool/data/io/example.h"

#include <algorithm>
#include <cstring>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// The payload of the one list message a Feature holds (BytesList/FloatList/Int64List).
std::size_t list_size(const Feature& f) {
  switch (f.kind) {
    case FeatureKind::kNone: return 0;
    case FeatureKind::kBytes: {
      std::size_t n = 0;
      for (const std::string& v : f.bytes_list) n += length_delimited_size(v.size());
      return n;
    }
    case FeatureKind::kFloat:
      // Packed, and like protobuf nothing at all for an empty repeated field.
      return f.float_list.empty() ? 0 : length_delimited_size(4 * f.float_list.size());
    case FeatureKind::kInt64: {
      std::size_t packed = 0;
      for (std::int64_t v : f.int64_list) packed += varint_size(static_cast<std::uint64_t>(v));
      return f.int64_list.empty() ? 0 : length_delimited_size(packed);
    }
  }
  return 0;
}

void write_list(WireWriter& out, const Feature& f) {
  switch (f.kind) {
    case FeatureKind::kNone: return;
    case FeatureKind::kBytes:
      for (const std::string& v : f.bytes_list) out.length_delimited(1, v);
      return;
    case FeatureKind::kFloat:
      if (f.float_list.empty()) return;
      out.begin_length_delimited(1, 4 * f.float_list.size());
      out.raw(std::string_view(reinterpret_cast<const char*>(f.float_list.data()), 4 * f.float_list.size()));
      return;
    case FeatureKind::kInt64: {
      if (f.int64_list.empty()) return;
      std::size_t packed = 0;
      for (std::int64_t v : f.int64_list) packed += varint_size(static_cast<std::uint64_t>(v));
      out.begin_length_delimited(1, packed);
      for (std::int64_t v : f.int64_list) out.varint(static_cast<std::uint64_t>(v));
      return;
    }
  }
}

std::uint32_t list_field(FeatureKind kind) {
  return kind == FeatureKind::kBytes ? 1 : kind == FeatureKind::kFloat ? 2 : 3;
}

std::size_t entry_size(std::string_view key, std::size_t value_size) {
  return length_delimited_size(key.size()) + length_delimited_size(value_size);
}

}  // namespace

Feature Feature::bytes(std::vector<std::string> values) {
  Feature f;
  f.kind = FeatureKind::kBytes;
  f.bytes_list = std::move(values);
  return f;
}

Feature Feature::floats(std::vector<float> values) {
  Feature f;
  f.kind = FeatureKind::kFloat;
  f.float_list = std::move(values);
  return f;
}

Feature Feature::int64s(std::vector<std::int64_t> values) {
  Feature f;
  f.kind = FeatureKind::kInt64;
  f.int64_list = std::move(values);
  return f;
}

Feature Feature::from_view(const FeatureView& view) {
  switch (view.kind()) {
    case FeatureKind::kNone: return Feature{};
    case FeatureKind::kFloat: return floats(view.floats());
    case FeatureKind::kInt64: return int64s(view.int64s());
    case FeatureKind::kBytes: {
      const std::vector<std::string_view> values = view.bytes();
      return bytes(std::vector<std::string>(values.begin(), values.end()));
    }
  }
  return Feature{};
}

std::size_t Feature::size() const {
  switch (kind) {
    case FeatureKind::kNone: return 0;
    case FeatureKind::kBytes: return bytes_list.size();
    case FeatureKind::kFloat: return float_list.size();
    case FeatureKind::kInt64: return int64_list.size();
  }
  return 0;
}

bool operator==(const Feature& a, const Feature& b) {
  return a.kind == b.kind && a.bytes_list == b.bytes_list && a.int64_list == b.int64_list &&
         a.float_list.size() == b.float_list.size() &&
         (a.float_list.empty() ||
          std::memcmp(a.float_list.data(), b.float_list.data(), 4 * a.float_list.size()) == 0);
}

namespace detail {

std::size_t feature_size(const Feature& feature) {
  // A set oneof member is written even when its list is empty, so the kind survives.
  return feature.kind == FeatureKind::kNone ? 0 : length_delimited_size(list_size(feature));
}

void write_feature(WireWriter& out, std::uint32_t field, const Feature& feature) {
  out.begin_length_delimited(field, feature_size(feature));
  if (feature.kind == FeatureKind::kNone) return;
  out.begin_length_delimited(list_field(feature.kind), list_size(feature));
  write_list(out, feature);
}

std::size_t features_size(const FeatureMap& features) {
  std::size_t n = 0;
  for (const auto& [key, feature] : features) n += length_delimited_size(entry_size(key, feature_size(feature)));
  return n;
}

void write_features(WireWriter& out, std::uint32_t field, const FeatureMap& features) {
  out.begin_length_delimited(field, features_size(features));
  for (const auto& [key, feature] : features) {
    out.begin_length_delimited(1, entry_size(key, feature_size(feature)));
    out.length_delimited(1, key);
    write_feature(out, 2, feature);
  }
}

void check_limit(std::size_t count, std::size_t limit, const char* limit_name, const char* what, std::string_view key) {
  // limit_name is "max_<noun>": the noun names what was counted.
  SPOOL_CHECK(count <= limit, InvalidArgument, what, ": ", count, " ", limit_name + 4, " at key ", quoted(std::string(key)),
              ", more than ExampleLimits::", limit_name, " (", limit, ")");
}

void read_features(MapEntryIterator entries, FeatureMap& out, const ExampleLimits& limits, const char* what) {
  std::string_view key;
  WireReader value("", "");
  while (entries.next(key, value)) {
    const FeatureView feature(value);
    check_limit(feature.size(), limits.max_values(), "max_values", what, key);
    out.insert_or_assign(std::string(key), Feature::from_view(feature));
    check_limit(out.size(), limits.max_features(), "max_features", what, key);
  }
}

}  // namespace detail

std::string encode_example(const Example& example) {
  std::string out;
  if (example.features.empty()) return out;
  out.reserve(length_delimited_size(detail::features_size(example.features)));
  WireWriter writer(out);
  detail::write_features(writer, 1, example.features);
  return out;
}

ExampleLimits& ExampleLimits::max_features(std::size_t n) {
  SPOOL_CHECK(n > 0, InvalidArgument, "ExampleLimits::max_features must be > 0");
  max_features_ = n;
  return *this;
}

ExampleLimits& ExampleLimits::max_values(std::size_t n) {
  SPOOL_CHECK(n > 0, InvalidArgument, "ExampleLimits::max_values must be > 0");
  max_values_ = n;
  return *this;
}

ExampleLimits& ExampleLimits::max_steps(std::size_t n) {
  SPOOL_CHECK(n > 0, InvalidArgument, "ExampleLimits::max_steps must be > 0");
  max_steps_ = n;
  return *this;
}

Example decode_example(std::string_view bytes, const ExampleLimits& limits) {
  Example example;
  detail::read_features(MapEntryIterator(WireReader(bytes, "Example"), 1), example.features, limits, "Example");
  return example;
}

}  // namespace spool::data
