#include "spool/data/ops/parse_example_batch.h"

#include <cstring>

#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/data/io/example_rows.h"
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
      SPOOL_CHECK(accepts(entry), InvalidArgument, "parse_example_batch: feature ", spool::quoted(entry.key),
                  " must be FixedLen (bytes: of shape []); use map(parse_example(spec)) for it");
      names.push_back(entry.key);
    }
    names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
  }
  std::string name() const override { return "parse_example_batch"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<ParseBatchNode>(in[0], spec_, batch_size_, drop_remainder_);
  }
  std::int64_t cardinality() const override {
    return detail::batched_cardinality(input()->cardinality(), batch_size_, drop_remainder_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  Element parse(const detail::RecordViews& records, std::int64_t first_index) const;
  static bool accepts(const FeatureSpecEntry& entry) {
    return entry.fixed && !(entry.kind == FeatureKind::kBytes && entry.fixed_len.shape().rank() > 0);
  }

  const FeatureSpec spec_;
  const std::int64_t batch_size_;
  const bool drop_remainder_;
  Element::Names names_;
};

// The rows go straight into the batch's numeric tensors (data/io/example_rows.h); bytes
// values stay views until every record is parsed and their common length is known.
Element ParseBatchNode::parse(const detail::RecordViews& records, std::int64_t first_index) const {
  const auto rows = static_cast<std::int64_t>(records.records.size());
  std::vector<Tensor> components(spec_.size());
  std::vector<std::vector<std::string_view>> bytes(spec_.size());
  std::vector<FeatureColumn> columns(spec_.size());
  for (std::size_t f = 0; f < spec_.size(); ++f) {
    const FeatureSpecEntry& entry = spec_.entry(f);
    if (entry.kind == FeatureKind::kBytes) {
      bytes[f].resize(records.records.size());
      columns[f].bytes = bytes[f].data();
      continue;
    }
    std::vector<std::int64_t> dims{rows};
    for (std::int64_t d : entry.fixed_len.shape().dims()) dims.push_back(d);
    components[f] = Tensor::empty(Shape(dims), entry.kind == FeatureKind::kInt64 ? DType::kI64 : DType::kF32);
    if (entry.kind == FeatureKind::kInt64) columns[f].int64s = components[f].data<std::int64_t>();
    if (entry.kind == FeatureKind::kFloat) columns[f].floats = components[f].data<float>();
  }
  std::vector<char> seen(spec_.size());
  std::size_t hint = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t record_index = first_index + r;
    const std::string_view record = records.records[static_cast<std::size_t>(r)];
    SPOOL_CHECK(record.data() != nullptr, InvalidArgument, "parse_example_batch: record #", record_index,
                " is not a 1-D u8 record: ", describe_structure(records.elements[static_cast<std::size_t>(r)]));
    parse_example_row(record, spec_, {columns, r, seen}, hint, {"parse_example_batch", record_index});
  }
  for (std::size_t f = 0; f < spec_.size(); ++f) {
    if (spec_.entry(f).kind != FeatureKind::kBytes) continue;
    const auto length = static_cast<std::int64_t>(bytes[f][0].size());
    Tensor values = Tensor::empty(Shape{rows, length}, DType::kU8);
    auto* dst = values.data<std::uint8_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::string_view v = bytes[f][static_cast<std::size_t>(r)];
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
    consumed_ = reader.read_count("the records consumed");
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

bool detail::parse_example_batch_accepts(const FeatureSpec& spec) {
  for (std::size_t f = 0; f < spec.size(); ++f) {
    if (!ParseBatchNode::accepts(spec.entry(f))) return false;
  }
  return true;
}

detail::NodePtr detail::make_parse_example_batch(NodePtr input, FeatureSpec spec, std::int64_t batch_size,
                                                 bool drop_remainder) {
  return std::make_shared<ParseBatchNode>(std::move(input), std::move(spec), batch_size, drop_remainder);
}

Dataset Dataset::parse_example_batch(FeatureSpec spec, std::int64_t batch_size, bool drop_remainder) const {
  SPOOL_CHECK(batch_size >= 1, InvalidArgument, "parse_example_batch: batch_size must be >= 1, got ", batch_size);
  return derive(std::make_shared<ParseBatchNode>(node_, std::move(spec), batch_size, drop_remainder));
}

}  // namespace spool::data
