#include "spool/data/ops/parse_example_fn.h"

#include <gtest/gtest.h>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"
#include "spool/data/io/example.h"

namespace spool::data {
namespace {

Tensor record_of(const std::string& bytes) { return Tensor::from_bytes(bytes); }

TEST(ParseExampleFn, MapsRecordsToNamedFeaturesWithTheElementIndexInErrors) {
  std::vector<Tensor> records;
  for (std::int64_t i = 0; i < 3; ++i) {
    Example ex;
    ex.features["label"] = Feature::int64s({i * 10});
    ex.features["image/encoded"] = Feature::bytes({std::string(static_cast<std::size_t>(i + 1), 'x')});
    records.push_back(record_of(encode_example(ex)));
  }
  records.push_back(record_of("\x0a\x05garbage"));
  FeatureSpec spec;
  spec.add("label", FixedLen::int64()).add("image/encoded", FixedLen::bytes());
  auto ds = Dataset::from_generator([records] {
    return [records, i = std::size_t{0}]() mutable -> std::optional<Element> {
      if (i == records.size()) return std::nullopt;
      return Element{records[i++]};
    };
  }).map(parse_example(spec));
  Iterator it = ds.make_iterator();
  for (std::int64_t i = 0; i < 3; ++i) {
    auto e = it.next();
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["label"].item<std::int64_t>(), i * 10);
    EXPECT_EQ((*e)["image/encoded"].as_string_view(), std::string(static_cast<std::size_t>(i + 1), 'x'));
  }
  try {
    it.next();
    FAIL() << "expected an error";
  } catch (const DataLossError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("map: element #3: ", 0), 0u) << error.what();
  }
}

}  // namespace
}  // namespace spool::data
