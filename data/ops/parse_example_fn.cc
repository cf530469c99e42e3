#include "spool/data/ops/parse_example_fn.h"

#include "spool/data/io/parse_example.h"
#include "spool/tensor/error.h"

namespace spool::data {

MapFn parse_example(FeatureSpec spec) {
  return [spec = std::move(spec)](Element record) {
    SPOOL_CHECK(record.size() >= 1 && record[0].defined() && record[0].rank() == 1 &&
                    record[0].dtype() == DType::kU8,
                InvalidArgument, "parse_example: expected a record element (1-D u8), got ",
                describe_structure(record));
    const ParsedExample parsed = parse_example(record[0].contiguous(), spec);
    std::vector<Tensor> components;
    std::vector<std::string> names;
    components.reserve(parsed.size());
    names.reserve(parsed.size());
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      const ParsedFeature& feature = parsed.feature(i);
      components.push_back(feature.values);
      names.push_back(parsed.key(i));
      if (feature.byte_lengths.defined()) {
        components.push_back(feature.byte_lengths);
        names.push_back(parsed.key(i) + "/byte_lengths");
      }
    }
    return Element(std::move(components), std::move(names));
  };
}

}  // namespace spool::data
