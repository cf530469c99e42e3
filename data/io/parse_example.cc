#include "spool/data/io/parse_example.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "spool/data/io/sequence_example.h"

namespace spool::data {
namespace {

// The record being parsed; `tensor` is set when bytes values may view its storage.
struct Source {
  std::string_view bytes;
  const Tensor* tensor = nullptr;
};

// Who is complaining, for messages: "parse_example: feature 'label'".
struct Where {
  std::string_view function;
  std::string_view what;  // "feature", "context feature", "feature list"
  const std::string& key;
  std::int64_t step = -1;
};

std::ostream& operator<<(std::ostream& out, const Where& w) {
  out << w.function << ": " << w.what << " " << quoted(w.key);
  if (w.step >= 0) out << " step " << w.step;
  return out;
}

DType dtype_of_kind(FeatureKind kind) {
  return kind == FeatureKind::kInt64 ? DType::kI64 : kind == FeatureKind::kFloat ? DType::kF32 : DType::kU8;
}

std::string expectation(const FeatureSpecEntry& e) {
  if (!e.fixed) return spool::detail::concat(feature_kind_name(e.kind), " values (VarLen)");
  return spool::detail::concat(feature_kind_name(e.kind), " with ", e.numel, e.numel == 1 ? " value" : " values",
                        " (shape ", e.fixed_len.shape().to_string(), ")");
}

// Throws unless `f` can fill `e`: the right kind and, for FixedLen, the right count.
// A step with no kind is accepted as zero values of any kind.
void check_feature(const Where& where, const FeatureSpecEntry& e, const FeatureView& f) {
  const bool kind_ok = f.kind() == e.kind || f.kind() == FeatureKind::kNone;
  const bool count_ok = !e.fixed || static_cast<std::int64_t>(f.size()) == e.numel;
  SPOOL_CHECK(kind_ok && count_ok, InvalidArgument, where, " expected ", expectation(e), ", found ",
              feature_kind_list_name(f.kind()), " with ", f.size(), f.size() == 1 ? " value" : " values");
}

Tensor bytes_tensor(const Source& src, std::string_view value) {
  if (src.tensor == nullptr) return Tensor::from_bytes(value);
  const auto at = static_cast<std::int64_t>(value.data() - src.bytes.data());
  return Tensor(src.tensor->storage(), DType::kU8, Shape{static_cast<std::int64_t>(value.size())},
                src.tensor->offset() + at);
}

// Copies numeric values of `f` to `out` (which has room for exactly f.size()).
void read_numeric(const FeatureView& f, FeatureKind kind, void* out) {
  if (kind == FeatureKind::kInt64) {
    f.read_int64s({static_cast<std::int64_t*>(out), f.size()});
  } else {
    f.read_floats({static_cast<float*>(out), f.size()});
  }
}

// Concatenates bytes values into a u8 tensor and records their lengths in `lengths`.
Tensor concat_bytes(const std::vector<std::string_view>& values, std::int64_t* lengths) {
  std::size_t total = 0;
  for (std::string_view v : values) total += v.size();
  Tensor out = Tensor::empty(Shape{static_cast<std::int64_t>(total)}, DType::kU8);
  auto* p = out.data<std::uint8_t>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i].empty()) std::memcpy(p, values[i].data(), values[i].size());
    p += values[i].size();
    lengths[i] = static_cast<std::int64_t>(values[i].size());
  }
  return out;
}

Shape with_leading(std::int64_t n, const Shape& shape) {
  std::vector<std::int64_t> dims{n};
  dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
  return Shape(std::move(dims));
}

ParsedFeature default_feature(const Where& where, const FeatureSpecEntry& e) {
  ParsedFeature out;
  if (!e.fixed) {
    out.values = Tensor::empty(Shape{0}, dtype_of_kind(e.kind));
    if (e.kind == FeatureKind::kBytes) out.byte_lengths = Tensor::empty(Shape{0}, DType::kI64);
    return out;
  }
  const FixedLen& spec = e.fixed_len;
  SPOOL_CHECK(spec.has_default(), InvalidArgument, where.function, ": required ", where.what, " ", quoted(e.key),
              " is missing");
  if (e.kind == FeatureKind::kInt64) {
    out.values = Tensor::empty(spec.shape(), DType::kI64);
    std::fill_n(out.values.data<std::int64_t>(), e.numel, spec.int64_default());
  } else if (e.kind == FeatureKind::kFloat) {
    out.values = Tensor::empty(spec.shape(), DType::kF32);
    std::fill_n(out.values.data<float>(), e.numel, spec.float_default());
  } else if (spec.shape().rank() == 0) {
    out.values = Tensor::from_bytes(spec.bytes_default());
  } else {
    const std::vector<std::string_view> values(static_cast<std::size_t>(e.numel), spec.bytes_default());
    out.byte_lengths = Tensor::empty(spec.shape(), DType::kI64);
    out.values = concat_bytes(values, out.byte_lengths.data<std::int64_t>());
  }
  return out;
}

ParsedFeature parse_feature(const Source& src, const Where& where, const FeatureSpecEntry& e, const FeatureView& f) {
  // TensorFlow treats a Feature with no kind set like an absent key.
  if (f.kind() == FeatureKind::kNone) return default_feature(where, e);
  check_feature(where, e, f);
  ParsedFeature out;
  const auto n = static_cast<std::int64_t>(f.size());
  if (e.kind != FeatureKind::kBytes) {
    out.values = Tensor::empty(e.fixed ? e.fixed_len.shape() : Shape{n}, dtype_of_kind(e.kind));
    read_numeric(f, e.kind, out.values.raw_data());
  } else if (e.fixed && e.fixed_len.shape().rank() == 0) {
    std::string_view value;
    f.read_bytes({&value, 1});
    out.values = bytes_tensor(src, value);
  } else {
    std::vector<std::string_view> values(f.size());
    f.read_bytes(values);
    out.byte_lengths = Tensor::empty(e.fixed ? e.fixed_len.shape() : Shape{n}, DType::kI64);
    out.values = concat_bytes(values, out.byte_lengths.data<std::int64_t>());
  }
  return out;
}

// Fills one slot per spec key; a later occurrence of a key replaces an earlier one.
void collect_features(std::string_view bytes, const detail::FeatureSpecTable& table, bool context_of_sequence,
                      std::span<FeatureView> found) {
  auto keep = [&](std::string_view key, const FeatureView& view) {
    const std::size_t i = table.find(key);
    if (i != FeatureSpec::kNotFound) found[i] = view;
  };
  if (context_of_sequence) {
    for_each_context_feature(bytes, keep);
  } else {
    for_each_feature(bytes, keep);
  }
}

ParsedExample parse_features(const Source& src, const FeatureSpec& spec, std::string_view function,
                             std::string_view what, bool context_of_sequence) {
  const detail::FeatureSpecTable& table = *spec.table();
  const std::size_t n = table.entries.size();
  // Typical specs are small: keep their slots on the stack, off the per-record heap.
  std::array<FeatureView, 8> inline_slots;
  std::vector<FeatureView> heap_slots(n > inline_slots.size() ? n : 0);
  const std::span<FeatureView> found =
      n > inline_slots.size() ? std::span<FeatureView>(heap_slots) : std::span<FeatureView>(inline_slots.data(), n);
  collect_features(src.bytes, table, context_of_sequence, found);
  std::vector<ParsedFeature> features;
  features.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const FeatureSpecEntry& e = table.entries[i];
    features.push_back(parse_feature(src, Where{function, what, e.key}, e, found[i]));
  }
  return ParsedExample(spec.table(), std::move(features));
}

ParsedFeature parse_feature_list(const Where& where, const FeatureSpecEntry& e, const FeatureListView& list) {
  const auto steps = static_cast<std::int64_t>(list.size());
  std::int64_t total = 0;
  for (std::int64_t s = 0; s < steps; ++s) {
    const FeatureView& step = list.steps()[static_cast<std::size_t>(s)];
    check_feature(Where{where.function, where.what, where.key, s}, e, step);
    total += static_cast<std::int64_t>(step.size());
  }
  ParsedFeature out;
  if (!e.fixed) {
    out.row_lengths = Tensor::empty(Shape{steps}, DType::kI64);
    for (std::int64_t s = 0; s < steps; ++s) {
      out.row_lengths.data<std::int64_t>()[s] = static_cast<std::int64_t>(list.steps()[static_cast<std::size_t>(s)].size());
    }
  }
  const Shape values_shape = e.fixed ? with_leading(steps, e.fixed_len.shape()) : Shape{total};
  if (e.kind != FeatureKind::kBytes) {
    out.values = Tensor::empty(values_shape, dtype_of_kind(e.kind));
    auto* p = static_cast<char*>(out.values.raw_data());
    for (const FeatureView& step : list.steps()) {
      read_numeric(step, e.kind, p);
      p += step.size() * out.values.element_size();
    }
    return out;
  }
  std::vector<std::string_view> values(static_cast<std::size_t>(total));
  std::size_t at = 0;
  for (const FeatureView& step : list.steps()) {
    at += step.read_bytes(std::span<std::string_view>(values).subspan(at));
  }
  out.byte_lengths = Tensor::empty(values_shape, DType::kI64);
  out.values = concat_bytes(values, out.byte_lengths.data<std::int64_t>());
  return out;
}

ParsedSequenceExample parse_sequence(const Source& src, const FeatureSpec& context, const FeatureSpec& lists) {
  constexpr std::string_view kFunction = "parse_sequence_example";
  ParsedSequenceExample out;
  out.context = parse_features(src, context, kFunction, "context feature", /*context_of_sequence=*/true);
  const detail::FeatureSpecTable& table = *lists.table();
  std::vector<FeatureListView> found(table.entries.size());
  for_each_feature_list(src.bytes, [&](std::string_view key, const FeatureListView& list) {
    const std::size_t i = table.find(key);
    if (i != FeatureSpec::kNotFound) found[i] = list;
  });
  std::vector<ParsedFeature> features;
  features.reserve(found.size());
  for (std::size_t i = 0; i < found.size(); ++i) {
    const FeatureSpecEntry& e = table.entries[i];
    features.push_back(parse_feature_list(Where{kFunction, "feature list", e.key}, e, found[i]));
  }
  out.feature_lists = ParsedExample(lists.table(), std::move(features));
  return out;
}

Source tensor_source(const Tensor& record, std::string_view function) {
  SPOOL_CHECK(record.defined() && record.dtype() == DType::kU8 && record.rank() == 1, InvalidArgument, function,
              ": the record must be a 1-D u8 tensor, got ",
              record.defined() ? std::string(dtype_name(record.dtype())) + " " + record.shape().to_string()
                               : std::string("an undefined tensor"));
  // A 1-D view is contiguous when its stride is 1 (as_string_view() would work it out
  // with an allocation per record).
  SPOOL_CHECK(record.strides()[0] == 1, InvalidArgument, function, ": the record tensor must be contiguous");
  return Source{std::string_view(static_cast<const char*>(record.raw_data()), static_cast<std::size_t>(record.dim(0))),
                &record};
}

}  // namespace

ParsedExample::ParsedExample(std::shared_ptr<const detail::FeatureSpecTable> spec, std::vector<ParsedFeature> features)
    : spec_(std::move(spec)), features_(std::move(features)) {}

const std::string& ParsedExample::key(std::size_t i) const {
  SPOOL_CHECK(i < features_.size(), OutOfRange, "ParsedExample: index ", i, " out of range [0, ", features_.size(), ")");
  return spec_->entries[i].key;
}

const ParsedFeature& ParsedExample::feature(std::size_t i) const {
  SPOOL_CHECK(i < features_.size(), OutOfRange, "ParsedExample: index ", i, " out of range [0, ", features_.size(), ")");
  return features_[i];
}

const ParsedFeature& ParsedExample::feature(std::string_view key) const {
  const std::size_t i = spec_ ? spec_->find(key) : FeatureSpec::kNotFound;
  SPOOL_CHECK(i != FeatureSpec::kNotFound, InvalidArgument, "ParsedExample: key ", quoted(std::string(key)),
              " is not in the spec");
  return features_[i];
}

ParsedExample parse_example(std::string_view record, const FeatureSpec& spec) {
  return parse_features(Source{record}, spec, "parse_example", "feature", false);
}

ParsedExample parse_example(const Tensor& record, const FeatureSpec& spec) {
  return parse_features(tensor_source(record, "parse_example"), spec, "parse_example", "feature", false);
}

ParsedSequenceExample parse_sequence_example(std::string_view record, const FeatureSpec& context,
                                             const FeatureSpec& feature_lists) {
  return parse_sequence(Source{record}, context, feature_lists);
}

ParsedSequenceExample parse_sequence_example(const Tensor& record, const FeatureSpec& context,
                                             const FeatureSpec& feature_lists) {
  return parse_sequence(tensor_source(record, "parse_sequence_example"), context, feature_lists);
}

}  // namespace spool::data
