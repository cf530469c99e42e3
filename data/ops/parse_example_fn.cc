#include "spool/data/ops/parse_example_fn.h"

#include "spool/data/io/parse_example.h"
#include "spool/tensor/error.h"

namespace spool::data {

namespace {

// Which features come with a byte_lengths component (see parse_example.h).
bool has_byte_lengths(const FeatureSpecEntry& entry) {
  return entry.kind == FeatureKind::kBytes && !(entry.fixed && entry.fixed_len.shape().rank() == 0);
}

// A named type rather than a lambda, so that parse_example_spec can find it in a MapFn.
class ParseExampleFunction {
 public:
  explicit ParseExampleFunction(FeatureSpec spec) : spec_(std::move(spec)) {
    // The names are the same for every record: made once and shared by all elements.
    std::vector<std::string> names;
    for (std::size_t i = 0; i < spec_.size(); ++i) {
      names.push_back(spec_.entry(i).key);
      if (has_byte_lengths(spec_.entry(i))) names.push_back(spec_.entry(i).key + "/byte_lengths");
    }
    names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
  }

  Element operator()(Element record) const {
    SPOOL_CHECK(record.size() >= 1 && record[0].defined() && record[0].rank() == 1 &&
                    record[0].dtype() == DType::kU8,
                InvalidArgument, "parse_example: expected a record element (1-D u8), got ",
                describe_structure(record));
    const ParsedExample parsed = parse_example(record[0].contiguous(), spec_);
    std::vector<Tensor> components;
    components.reserve(names_->size());
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      const ParsedFeature& feature = parsed.feature(i);
      components.push_back(feature.values);
      if (has_byte_lengths(spec_.entry(i))) components.push_back(feature.byte_lengths);
    }
    return Element(std::move(components), names_);
  }

  const FeatureSpec& spec() const { return spec_; }

 private:
  FeatureSpec spec_;
  Element::Names names_;
};

}  // namespace

MapFn parse_example(FeatureSpec spec) { return ParseExampleFunction(std::move(spec)); }

const FeatureSpec* detail::parse_example_spec(const MapFn& fn) {
  const auto* f = fn.target<ParseExampleFunction>();
  return f != nullptr ? &f->spec() : nullptr;
}

}  // namespace spool::data
