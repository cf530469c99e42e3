#include "spool/data/io/example_rows.h"

#include <algorithm>
#include <cstring>

#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// A bounds-checked cursor that reports trouble by returning false (the caller then
// takes the general path, which says what was wrong).
class FastCursor {
 public:
  explicit FastCursor(std::string_view bytes)
      : p_(reinterpret_cast<const std::uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}
  bool at_end() const { return p_ == end_; }
  // Consumes the one-byte tag `tag` if it comes next.
  bool take(std::uint8_t tag) {
    if (p_ == end_ || *p_ != tag) return false;
    ++p_;
    return true;
  }
  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const std::uint8_t byte = *p_++;
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) return true;
    }
    return false;
  }
  bool length_delimited(std::string_view& payload) {
    std::uint64_t length = 0;
    if (!varint(length) || length > static_cast<std::uint64_t>(end_ - p_)) return false;
    payload = std::string_view(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(length));
    p_ += length;
    return true;
  }
  // `tag` followed by a length-delimited payload.
  bool field(std::uint8_t tag, std::string_view& payload) { return take(tag) && length_delimited(payload); }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// Reads exactly out.size() int64 values from an Int64List (packed runs or single values).
bool read_int64_list(std::string_view list, std::span<std::int64_t> out) {
  FastCursor c(list);
  std::size_t n = 0;
  while (!c.at_end()) {
    std::uint64_t v = 0;
    std::string_view packed;
    if (c.field(0x0a, packed)) {
      FastCursor run(packed);
      while (!run.at_end()) {
        if (n == out.size() || !run.varint(v)) return false;
        out[n++] = static_cast<std::int64_t>(v);
      }
    } else if (c.take(0x08) && n < out.size() && c.varint(v)) {
      out[n++] = static_cast<std::int64_t>(v);
    } else {
      return false;
    }
  }
  return n == out.size();
}

// The spec index of `key`, looked for from `hint` on (wrapping around).
std::size_t find_from(const FeatureSpec& spec, std::string_view key, std::size_t hint) {
  const std::size_t n = spec.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = hint + i < n ? hint + i : hint + i - n;
    if (spec.entry(k).key == key) return k;
  }
  return FeatureSpec::kNotFound;
}

// One Feature message in the common layout into the row; false for any other layout.
bool read_feature_fast(std::string_view value, const FeatureSpecEntry& e, const FeatureColumn& column,
                       std::int64_t row) {
  FastCursor feature(value);
  std::string_view list;
  const auto numel = static_cast<std::size_t>(e.numel);
  if (e.kind == FeatureKind::kBytes) {
    if (!feature.field(0x0a, list) || !feature.at_end()) return false;
    FastCursor items(list);
    std::string_view v;
    if (!items.field(0x0a, v) || !items.at_end()) return false;
    column.bytes[row] = v;
    return true;
  }
  if (e.kind == FeatureKind::kInt64) {
    if (!feature.field(0x1a, list) || !feature.at_end()) return false;
    return read_int64_list(list, {column.int64s + row * e.numel, numel});
  }
  if (!feature.field(0x12, list) || !feature.at_end()) return false;
  FastCursor items(list);
  std::string_view packed;
  if (!items.field(0x0a, packed) || !items.at_end() || packed.size() != 4 * numel) return false;
  if (numel) std::memcpy(column.floats + row * e.numel, packed.data(), packed.size());
  return true;
}

}  // namespace

bool read_example_row_fast(std::string_view record, const FeatureSpec& spec, const ExampleRow& out,
                           std::size_t& hint) {
  std::fill(out.seen.begin(), out.seen.end(), 0);
  FastCursor example(record);
  while (!example.at_end()) {
    std::string_view features_bytes;
    if (!example.field(0x0a, features_bytes)) return false;
    FastCursor features(features_bytes);
    while (!features.at_end()) {
      std::string_view entry_bytes, key, value;
      if (!features.field(0x0a, entry_bytes)) return false;
      FastCursor entry(entry_bytes);
      if (!entry.field(0x0a, key) || !entry.field(0x12, value) || !entry.at_end()) return false;
      const std::size_t f = find_from(spec, key, hint);
      if (f == FeatureSpec::kNotFound) {
        FeatureView{WireReader(record.data(), value, "Example")};  // validates, as the general path does
        continue;
      }
      hint = f + 1 == spec.size() ? 0 : f + 1;
      if (out.seen[f]) return false;  // a repeated key: protobuf's merge rules apply
      out.seen[f] = 1;
      if (!read_feature_fast(value, spec.entry(f), out.columns[f], out.row)) return false;
    }
  }
  return true;
}

void read_example_row(std::string_view record, const FeatureSpec& spec, const ExampleRow& out,
                      const RecordContext& where) {
  std::fill(out.seen.begin(), out.seen.end(), 0);
  for_each_feature(record, [&](std::string_view key, const FeatureView& view) {
    const std::size_t f = spec.find(key);
    if (f == FeatureSpec::kNotFound) return;
    if (view.kind() == FeatureKind::kNone) {
      // No kind is an absent key; as the last occurrence of the key it replaces an
      // earlier value, as in parse_example.
      out.seen[f] = 0;
      return;
    }
    const FeatureSpecEntry& entry = spec.entry(f);
    SPOOL_CHECK(view.kind() == entry.kind && static_cast<std::int64_t>(view.size()) == entry.numel,
                InvalidArgument, where.who, ": feature ", spool::quoted(entry.key), " of record #", where.index,
                " expected ", feature_kind_name(entry.kind), " with ", entry.numel, " values, found ",
                feature_kind_list_name(view.kind()), " with ", view.size(), " values");
    out.seen[f] = 1;
    const FeatureColumn& column = out.columns[f];
    const auto n = static_cast<std::size_t>(entry.numel);
    if (entry.kind == FeatureKind::kInt64) {
      view.read_int64s({column.int64s + out.row * entry.numel, n});
    } else if (entry.kind == FeatureKind::kFloat) {
      view.read_floats({column.floats + out.row * entry.numel, n});
    } else {
      view.read_bytes({column.bytes + out.row, 1});
    }
  });
}

void parse_example_row(std::string_view record, const FeatureSpec& spec, const ExampleRow& out, std::size_t& hint,
                       const RecordContext& where) {
  if (!read_example_row_fast(record, spec, out, hint)) read_example_row(record, spec, out, where);
  for (std::size_t f = 0; f < spec.size(); ++f) {
    if (out.seen[f]) continue;
    const FeatureSpecEntry& entry = spec.entry(f);
    const FixedLen& fixed = entry.fixed_len;
    SPOOL_CHECK(fixed.has_default(), InvalidArgument, where.who, ": required feature ", spool::quoted(entry.key),
                " is missing in record #", where.index);
    const FeatureColumn& column = out.columns[f];
    if (entry.kind == FeatureKind::kBytes) {
      column.bytes[out.row] = fixed.bytes_default();
    } else if (entry.kind == FeatureKind::kInt64) {
      std::int64_t* p = column.int64s + out.row * entry.numel;
      std::fill(p, p + entry.numel, fixed.int64_default());
    } else {
      float* p = column.floats + out.row * entry.numel;
      std::fill(p, p + entry.numel, fixed.float_default());
    }
  }
}

}  // namespace spool::data
