#include "spool/data/ops/parse_example_batch.h"

#include <cstring>

#include "spool/data/dataset.h"
#include "spool/data/io/feature_view.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

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

  Element parse(const std::vector<Element>& records, std::int64_t first_index) const;

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

Element ParseBatchNode::parse(const std::vector<Element>& records, std::int64_t first_index) const {
  const auto rows = static_cast<std::int64_t>(records.size());
  BatchBuilder out;
  out.numeric.resize(spec_.size());
  out.bytes.resize(spec_.size());
  for (std::size_t f = 0; f < spec_.size(); ++f) {
    const FeatureSpecEntry& entry = spec_.entry(f);
    if (entry.kind == FeatureKind::kBytes) {
      out.bytes[f].resize(records.size());
      continue;
    }
    std::vector<std::int64_t> dims{rows};
    for (std::int64_t d : entry.fixed_len.shape().dims()) dims.push_back(d);
    out.numeric[f] = Tensor::empty(Shape(dims), entry.kind == FeatureKind::kInt64 ? DType::kI64 : DType::kF32);
  }
  std::vector<char> seen(spec_.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t record_index = first_index + r;
    const Tensor& record = records[static_cast<std::size_t>(r)][0];
    SPOOL_CHECK(record.defined() && record.rank() == 1 && record.dtype() == DType::kU8 && record.is_contiguous(),
                InvalidArgument, "parse_example_batch: record #", record_index, " is not a 1-D u8 record: ",
                describe_structure(records[static_cast<std::size_t>(r)]));
    std::fill(seen.begin(), seen.end(), 0);
    for_each_feature(record.as_string_view(), [&](std::string_view key, const FeatureView& view) {
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

class ParseBatchIterator : public detail::UnaryIterator {
 public:
  ParseBatchIterator(const ParseBatchNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    std::vector<Element> records;
    records.reserve(static_cast<std::size_t>(node_.batch_size_));
    const std::int64_t first = consumed_;
    while (static_cast<std::int64_t>(records.size()) < node_.batch_size_) {
      std::optional<Element> e = pull(input());
      if (!e) break;
      records.push_back(std::move(*e));
      ++consumed_;
    }
    if (records.empty()) return std::nullopt;
    if (node_.drop_remainder_ && static_cast<std::int64_t>(records.size()) < node_.batch_size_) return std::nullopt;
    return node_.parse(records, first);
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
