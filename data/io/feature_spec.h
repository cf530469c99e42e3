// What parse_example should pull out of a record: keys with FixedLen or VarLen features
// (tf.io.FixedLenFeature / tf.io.VarLenFeature).
//
//   FeatureSpec spec;
//   spec.add("label", FixedLen::int64())                        // i64 [], required
//       .add("weight", FixedLen::float32(Shape{}, 1.0f))        // f32 [], default 1
//       .add("image", FixedLen::float32(Shape{28, 28}))         // f32 [28, 28]
//       .add("image/encoded", FixedLen::bytes())                // u8 [len], zero-copy
//       .add("tokens", VarLen::bytes())                         // any number of values
//       .add("ids", VarLen::int64());
//
// A FixedLen default is one value that fills the whole shape (every element, or for
// bytes every string, equals it). In parse_sequence_example a FixedLen describes one
// step of a feature list. int64 features give i64 tensors, float features f32 tensors,
// bytes features u8 tensors (see parse_example.h for the bytes layout).
// Adding a key twice throws InvalidArgument.
// Thread-safety: build a spec on one thread; afterwards it is immutable and may be
// shared by any number of parsing threads. Copying a spec is cheap (shared table).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spool/data/io/feature_view.h"
#include "spool/tensor/shape.h"

namespace spool::data {

class FixedLen {
 public:
  static FixedLen int64(Shape shape = Shape{}) { return FixedLen(FeatureKind::kInt64, std::move(shape)); }
  static FixedLen int64(Shape shape, std::int64_t default_value);
  static FixedLen float32(Shape shape = Shape{}) { return FixedLen(FeatureKind::kFloat, std::move(shape)); }
  static FixedLen float32(Shape shape, float default_value);
  static FixedLen bytes(Shape shape = Shape{}) { return FixedLen(FeatureKind::kBytes, std::move(shape)); }
  static FixedLen bytes(Shape shape, std::string default_value);

  FeatureKind kind() const { return kind_; }
  const Shape& shape() const { return shape_; }
  bool has_default() const { return has_default_; }
  std::int64_t int64_default() const { return int64_default_; }
  float float_default() const { return float_default_; }
  const std::string& bytes_default() const { return bytes_default_; }

 private:
  // Throws InvalidArgument for a negative dimension.
  FixedLen(FeatureKind kind, Shape shape);

  FeatureKind kind_;
  Shape shape_;
  bool has_default_ = false;
  std::int64_t int64_default_ = 0;
  float float_default_ = 0.0f;
  std::string bytes_default_;
};

class VarLen {
 public:
  static VarLen int64() { return VarLen(FeatureKind::kInt64); }
  static VarLen float32() { return VarLen(FeatureKind::kFloat); }
  static VarLen bytes() { return VarLen(FeatureKind::kBytes); }
  FeatureKind kind() const { return kind_; }

 private:
  explicit VarLen(FeatureKind kind) : kind_(kind) {}
  FeatureKind kind_;
};

// One key of a spec, as the parser sees it.
struct FeatureSpecEntry {
  std::string key;
  bool fixed = true;       // FixedLen (else VarLen)
  FixedLen fixed_len = FixedLen::int64();
  FeatureKind kind = FeatureKind::kInt64;
  std::int64_t numel = 1;  // values per record (per step); FixedLen only
};

namespace detail {
// Entries in spec order plus a sorted index for lookup by key.
struct FeatureSpecTable {
  std::vector<FeatureSpecEntry> entries;
  std::vector<std::size_t> by_key;  // indices into entries, sorted by key
  std::size_t find(std::string_view key) const;
};
}  // namespace detail

class FeatureSpec {
 public:
  static constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

  FeatureSpec();
  FeatureSpec& add(std::string key, FixedLen feature);
  FeatureSpec& add(std::string key, VarLen feature);

  std::size_t size() const { return table_->entries.size(); }
  const FeatureSpecEntry& entry(std::size_t i) const { return table_->entries[i]; }
  // The index of `key` in spec order, or kNotFound.
  std::size_t find(std::string_view key) const { return table_->find(key); }
  const std::shared_ptr<const detail::FeatureSpecTable>& table() const { return table_; }

 private:
  FeatureSpec& add_entry(FeatureSpecEntry entry);

  // Replaced (never mutated) by add(), so parse results that share it stay valid.
  std::shared_ptr<const detail::FeatureSpecTable> table_;
};

}  // namespace spool::data
