#include "spool/data/ops/parse_example_fn.h"

#include "spool/data/io/parse_example.h"
#include "spool/tensor/error.h"

namespace spool::data {

namespace {

// Which features come with a byte_lengths component (see parse_example.h).
bool has_byte_lengths(const FeatureSpecEntry& entry) {
  return entry.kind == FeatureKind::kBytes && !(entry.fixed && entry.fixed_len.shape().rank() == 0);
}

}  // namespace

MapFn parse_example(FeatureSpec spec) {
  // The names are the same for every record: made once and shared by all elements.
  std::vector<std::string> names;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    names.push_back(spec.entry(i).key);
    if (has_byte_lengths(spec.entry(i))) names.push_back(spec.entry(i).key + "/byte_lengths");
  }
  auto shared_names = std::make_shared<const std::vector<std::string>>(std::move(names));
  return [spec = std::move(spec), shared_names](Element record) {
    SPOOL_CHECK(record.size() >= 1 && record[0].defined() && record[0].rank() == 1 &&
                    record[0].dtype() == DType::kU8,
                InvalidArgument, "parse_example: expected a record element (1-D u8), got ",
                describe_structure(record));
    const ParsedExample parsed = parse_example(record[0].contiguous(), spec);
    std::vector<Tensor> components;
    components.reserve(shared_names->size());
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      const ParsedFeature& feature = parsed.feature(i);
      components.push_back(feature.values);
      if (has_byte_lengths(spec.entry(i))) components.push_back(feature.byte_lengths);
    }
    return Element(std::move(components), shared_names);
  };
}

}  // namespace spool::data
