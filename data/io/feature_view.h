// Zero-copy views of tf.train.Feature values inside a serialized record.
//
//   for_each_feature(example_bytes, [](std::string_view key, const FeatureView& f) {
//     std::cout << key << " " << feature_kind_name(f.kind()) << " " << f.size();
//     if (f.kind() == FeatureKind::kBytes)
//       for (std::string_view v : f.bytes(8)) std::cout << " " << v.size();   // first <= 8
//     if (f.kind() == FeatureKind::kFloat) for (float v : f.floats(8)) std::cout << " " << v;
//   });
//
// Schema (tensorflow/core/example/feature.proto): Feature is a oneof of BytesList (1),
// FloatList (2), Int64List (3); each list is `repeated ... value = 1`. Readers accept
// packed and unpacked numeric lists, skip unknown fields, and accept a Feature with no
// kind set (kind() == kNone, size() == 0), which real files contain. As protobuf does,
// when the oneof field appears several times the last kind wins and consecutive
// occurrences of that kind are merged.
//
// A FeatureView is validated when it is made (a malformed Feature throws DataLossError
// with the offset within the record), so reading its values afterwards cannot fail
// except by asking for the wrong kind (InvalidArgument).
// Lifetime: views, keys and bytes values point into the record; they are valid for as
// long as the record's bytes are.
// Thread-safety: views are immutable; any number of threads may read one record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "spool/data/io/protobuf_wire.h"

namespace spool::data {

enum class FeatureKind : std::uint8_t { kNone, kBytes, kFloat, kInt64 };

// "none", "bytes", "float", "int64": what `spool inspect` prints.
std::string_view feature_kind_name(FeatureKind kind);
// "no kind", "bytes_list", "float_list", "int64_list": the proto field, for messages.
std::string_view feature_kind_list_name(FeatureKind kind);

class FeatureView {
 public:
  static constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

  // A Feature with no kind set.
  FeatureView() = default;
  // Validates the Feature message `feature` reads; throws DataLossError if malformed.
  explicit FeatureView(WireReader feature);

  FeatureKind kind() const { return kind_; }
  // Number of values (0 for kind kNone).
  std::size_t size() const { return count_; }
  // Offset of the Feature message within the record, for messages.
  std::size_t offset() const { return offset_; }

  // Copy the first min(size(), out.size()) values into `out` and return that count.
  // Throw InvalidArgument when the feature holds another kind (kNone reads as empty).
  std::size_t read_floats(std::span<float> out) const;
  std::size_t read_int64s(std::span<std::int64_t> out) const;
  std::size_t read_bytes(std::span<std::string_view> out) const;  // views into the record

  // The first min(size(), max) values, for inspection and tests.
  std::vector<float> floats(std::size_t max = kAll) const;
  std::vector<std::int64_t> int64s(std::size_t max = kAll) const;
  std::vector<std::string_view> bytes(std::size_t max = kAll) const;

 private:
  void check_kind(FeatureKind wanted) const;
  // Calls visit(list_reader) for each occurrence of the winning list field, in order.
  template <typename Visit>
  void for_each_list(Visit&& visit) const;
  // Reads values of field 1 of each list into `out`; read_field(tag, list, room) reads
  // one occurrence (a value or a packed run) into room and returns how many it wrote.
  template <typename T, typename ReadField>
  std::size_t read_values(FeatureKind wanted, std::span<T> out, ReadField&& read_field) const;

  FeatureKind kind_ = FeatureKind::kNone;
  std::size_t count_ = 0;
  std::size_t offset_ = 0;
  const char* origin_ = nullptr;
  // The Feature message from the first field of the winning run of list fields.
  std::string_view lists_;
  std::string_view context_ = "Feature";
};

// Walks the entries of map<string, V> fields: every occurrence of field `outer_field`
// of the container (a Features or FeatureLists message; protobuf merges repeats), and
// in each, every map entry (field 1; key = 1, value = 2). A key may repeat: the last
// occurrence is the one protobuf keeps. An entry with no key has key ""; one with no
// value has an empty value message. Within one entry a repeated value field is not
// merged (last wins); no writer produces that.
class MapEntryIterator {
 public:
  MapEntryIterator(WireReader container, std::uint32_t outer_field);
  // Advances to the next entry; false at the end.
  bool next(std::string_view& key, WireReader& value);

 private:
  WireReader outer_;
  WireReader inner_;
  std::uint32_t outer_field_;
};

// callback(key, View(value)) for each entry of the map in field `outer_field` of a
// serialized message; `context` names the message in errors.
template <typename View, typename Callback>
void for_each_map_entry(std::string_view message, std::string_view context, std::uint32_t outer_field,
                        Callback&& callback) {
  MapEntryIterator entries(WireReader(message, context), outer_field);
  std::string_view key;
  WireReader value(message, context);
  while (entries.next(key, value)) callback(key, View(value));
}

// Calls callback(std::string_view key, const FeatureView& feature) for each feature of
// a serialized tf.train.Example, in the order of the bytes (repeated keys included).
template <typename Callback>
void for_each_feature(std::string_view example, Callback&& callback) {
  for_each_map_entry<FeatureView>(example, "Example", /*outer_field=*/1, callback);
}

}  // namespace spool::data
