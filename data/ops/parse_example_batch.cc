#include "spool/data/ops/parse_example_batch.h"

#include <cstring>
#include <span>

#include "spool/data/dataset.h"
#include "spool/data/io/feature_view.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

struct BatchBuilder;

class ParseBatchNode : public detail::UnaryNode {
 public:
  ParseBatchNode(detail::NodePtr input, FeatureSpec spec, std::int64_t batch_size, bool drop_remainder)
      : UnaryNode(std::move(input)), spec_(std::move(spec)), batch_size_(batch_size), drop_remainder_(drop_remainder) {
    std::vector<std::string> names;
    for (std::size_t f = 0; f < spec_.size(); ++f) {
      const FeatureSpecEntry& entry = spec_.entry(f);
      SPOOL_CHECK(entry.fixed && !(entry.kind == FeatureKind::kBytes && entry.fixed_len.shape().rank() > 0),
                  InvalidArgument, "parse_example_batch: feature ", spool::quoted(entry.key),
                  " must be FixedLen (bytes: of shape []); use map(parse_example(spec)) for it");
      names.push_back(entry.key);
    }
    names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
  }
  std::string name() const override { return "parse_example_batch"; }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    if (n < 0) return n;
    return drop_remainder_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  Element parse(const detail::RecordViews& records, std::int64_t first_index) const;
  // One record into row r of `out`, marking the features it had in `seen`.
  bool parse_fast(std::string_view record, std::int64_t r, BatchBuilder& out, std::vector<char>& seen,
                  std::size_t& hint) const;
  void parse_general(std::string_view record, std::int64_t r, std::int64_t record_index, BatchBuilder& out,
                     std::vector<char>& seen) const;

  const FeatureSpec spec_;
  const std::int64_t batch_size_;
  const bool drop_remainder_;
  Element::Names names_;
};

// The batch being filled: numeric rows are written in place; bytes values are kept as
// views until every record is parsed and their common length is known.
struct BatchBuilder {
  std::vector<Tensor> numeric;                         // per feature (undefined for bytes)
  std::vector<std::vector<std::string_view>> bytes;    // per feature, per record
};

void fill_default(const FeatureSpecEntry& entry, const BatchBuilder& out, std::size_t f, std::int64_t row,
                  std::int64_t record_index) {
  const FixedLen& fixed = entry.fixed_len;
  SPOOL_CHECK(fixed.has_default(), InvalidArgument, "parse_example_batch: required feature ",
              spool::quoted(entry.key), " is missing in record #", record_index);
  if (entry.kind == FeatureKind::kInt64) {
    std::int64_t* p = out.numeric[f].data<std::int64_t>() + row * entry.numel;
    std::fill(p, p + entry.numel, fixed.int64_default());
  } else if (entry.kind == FeatureKind::kFloat) {
    float* p = out.numeric[f].data<float>() + row * entry.numel;
    std::fill(p, p + entry.numel, fixed.float_default());
  }
}

Element ParseBatchNode::parse(const detail::RecordViews& records, std::int64_t first_index) const {
  const auto rows = static_cast<std::int64_t>(records.records.size());
  BatchBuilder out;
  out.numeric.resize(spec_.size());
  out.bytes.resize(spec_.size());
  for (std::size_t f = 0; f < spec_.size(); ++f) {
    const FeatureSpecEntry& entry = spec_.entry(f);
    if (entry.kind == FeatureKind::kBytes) {
      out.bytes[f].resize(records.records.size());
      continue;
    }
    std::vector<std::int64_t> dims{rows};
    for (std::int64_t d : entry.fixed_len.shape().dims()) dims.push_back(d);
    out.numeric[f] = Tensor::empty(Shape(dims), entry.kind == FeatureKind::kInt64 ? DType::kI64 : DType::kF32);
  }
  std::vector<char> seen(spec_.size());
  std::size_t hint = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t record_index = first_index + r;
    const std::string_view record = records.records[static_cast<std::size_t>(r)];
    SPOOL_CHECK(record.data() != nullptr, InvalidArgument, "parse_example_batch: record #", record_index,
                " is not a 1-D u8 record: ", describe_structure(records.elements[static_cast<std::size_t>(r)]));
    if (!parse_fast(record, r, out, seen, hint)) parse_general(record, r, record_index, out, seen);
    for (std::size_t f = 0; f < spec_.size(); ++f) {
      if (seen[f]) continue;
      const FeatureSpecEntry& entry = spec_.entry(f);
      if (entry.kind == FeatureKind::kBytes) {
        SPOOL_CHECK(entry.fixed_len.has_default(), InvalidArgument, "parse_example_batch: required feature ",
                    spool::quoted(entry.key), " is missing in record #", record_index);
        out.bytes[f][static_cast<std::size_t>(r)] = entry.fixed_len.bytes_default();
      } else {
        fill_default(entry, out, f, r, record_index);
      }
    }
  }
  std::vector<Tensor> components(spec_.size());
  for (std::size_t f = 0; f < spec_.size(); ++f) {
    if (spec_.entry(f).kind != FeatureKind::kBytes) {
      components[f] = std::move(out.numeric[f]);
      continue;
    }
    const auto length = static_cast<std::int64_t>(out.bytes[f][0].size());
    Tensor values = Tensor::empty(Shape{rows, length}, DType::kU8);
    auto* dst = values.data<std::uint8_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::string_view v = out.bytes[f][static_cast<std::size_t>(r)];
      SPOOL_CHECK(static_cast<std::int64_t>(v.size()) == length, InvalidArgument, "parse_example_batch: feature ",
                  spool::quoted(spec_.entry(f).key), " of record #", first_index + r, " has ", v.size(),
                  " bytes but record #", first_index, " has ", length,
                  "; use map(parse_example(spec)) and padded_batch for values of differing lengths");
      if (length) std::memcpy(dst + r * length, v.data(), static_cast<std::size_t>(length));
    }
    components[f] = std::move(values);
  }
  return Element(std::move(components), names_);
}

void ParseBatchNode::parse_general(std::string_view record, std::int64_t r, std::int64_t record_index,
                                 BatchBuilder& out, std::vector<char>& seen) const {
  std::fill(seen.begin(), seen.end(), 0);
  for_each_feature(record, [&](std::string_view key, const FeatureView& view) {
    const std::size_t f = spec_.find(key);
    if (f == FeatureSpec::kNotFound || view.kind() == FeatureKind::kNone) return;
    const FeatureSpecEntry& entry = spec_.entry(f);
    SPOOL_CHECK(view.kind() == entry.kind && static_cast<std::int64_t>(view.size()) == entry.numel,
                InvalidArgument, "parse_example_batch: feature ", spool::quoted(entry.key), " of record #",
                record_index, " expected ", feature_kind_name(entry.kind), " with ", entry.numel,
                " values, found ", feature_kind_list_name(view.kind()), " with ", view.size(), " values");
    seen[f] = 1;
    const auto n = static_cast<std::size_t>(entry.numel);
    if (entry.kind == FeatureKind::kInt64) {
      view.read_int64s({out.numeric[f].data<std::int64_t>() + r * entry.numel, n});
    } else if (entry.kind == FeatureKind::kFloat) {
      view.read_floats({out.numeric[f].data<float>() + r * entry.numel, n});
    } else {
      view.read_bytes({&out.bytes[f][static_cast<std::size_t>(r)], 1});
    }
  });
}

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

// The layout TensorFlow's writers and ours produce: Features entries of (key, value),
// each Feature with one list field, numeric values in packed runs. Anything else (a
// repeated key, several list fields, unknown fields, a kind or count other than the
// spec's, malformed bytes) returns false, and the record is parsed again by the general
// path, which applies protobuf's merge rules and names what is wrong. Features outside
// the spec are validated as the general path validates them.
bool ParseBatchNode::parse_fast(std::string_view record, std::int64_t r, BatchBuilder& out,
                                std::vector<char>& seen, std::size_t& hint) const {
  std::fill(seen.begin(), seen.end(), 0);
  const std::size_t n = spec_.size();
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
      // Records usually list their features in the same order: try where the last ended.
      std::size_t f = FeatureSpec::kNotFound;
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = hint + i < n ? hint + i : hint + i - n;
        if (spec_.entry(k).key == key) {
          f = k;
          break;
        }
      }
      if (f == FeatureSpec::kNotFound) {
        FeatureView{WireReader(record.data(), value, "Example")};  // validates, as the general path does
        continue;
      }
      hint = f + 1 == n ? 0 : f + 1;
      const FeatureSpecEntry& e = spec_.entry(f);
      if (seen[f]) return false;
      seen[f] = 1;
      FastCursor feature(value);
      std::string_view list;
      const auto numel = static_cast<std::size_t>(e.numel);
      if (e.kind == FeatureKind::kBytes) {
        if (!feature.field(0x0a, list) || !feature.at_end()) return false;
        FastCursor items(list);
        std::string_view v;
        if (!items.field(0x0a, v) || !items.at_end()) return false;
        out.bytes[f][static_cast<std::size_t>(r)] = v;
      } else if (e.kind == FeatureKind::kInt64) {
        if (!feature.field(0x1a, list) || !feature.at_end()) return false;
        if (!read_int64_list(list, {out.numeric[f].data<std::int64_t>() + r * e.numel, numel})) return false;
      } else {
        if (!feature.field(0x12, list) || !feature.at_end()) return false;
        FastCursor items(list);
        std::string_view packed;
        if (!items.field(0x0a, packed) || !items.at_end() || packed.size() != 4 * numel) return false;
        if (numel) std::memcpy(out.numeric[f].data<float>() + r * e.numel, packed.data(), packed.size());
      }
    }
  }
  return true;
}

class ParseBatchIterator : public detail::UnaryIterator {
 public:
  ParseBatchIterator(const ParseBatchNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    records_.clear();  // the last batch's records go first, so that pulling reuses their memory
    const std::int64_t first = consumed_;
    try {
      pull_views(input(), static_cast<std::size_t>(node_.batch_size_), records_);
    } catch (...) {
      consumed_ += static_cast<std::int64_t>(records_.records.size()) + 1;  // the failed record counts as taken
      throw;
    }
    const auto got = static_cast<std::int64_t>(records_.records.size());
    consumed_ += got;
    if (got == 0) return std::nullopt;
    if (node_.drop_remainder_ && got < node_.batch_size_) return std::nullopt;
    return node_.parse(records_, first);
  }
  void save(StateWriter& writer) override {
    writer.write_i64(consumed_);
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    consumed_ = reader.read_i64();
    UnaryIterator::restore(reader);
  }

  const ParseBatchNode& node_;
  std::int64_t consumed_ = 0;  // records taken so far, for messages
  // Kept from batch to batch: fresh vectors of a batch's size are large requests to
  // glibc malloc, which first consolidates every small chunk the last batch freed.
  detail::RecordViews records_;
};

std::unique_ptr<detail::IteratorBase> ParseBatchNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<ParseBatchIterator>(*this, context);
}

}  // namespace

Dataset Dataset::parse_example_batch(FeatureSpec spec, std::int64_t batch_size, bool drop_remainder) const {
  SPOOL_CHECK(batch_size >= 1, InvalidArgument, "parse_example_batch: batch_size must be >= 1, got ", batch_size);
  return derive(std::make_shared<ParseBatchNode>(node_, std::move(spec), batch_size, drop_remainder));
}

}  // namespace spool::data
