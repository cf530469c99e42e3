#include "spool/data/io/feature_spec.h"

#include <gtest/gtest.h>

#include "spool/data/io/example.h"
#include "spool/data/io/parse_example.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

TEST(ParseSpecTest, KeepsSpecOrderAndFindsKeys) {
  FeatureSpec spec;
  spec.add("zeta", FixedLen::int64()).add("alpha", VarLen::float32()).add("mid", FixedLen::bytes(Shape{2}, "d"));
  ASSERT_EQ(spec.size(), 3u);
  EXPECT_EQ(spec.entry(0).key, "zeta");
  EXPECT_EQ(spec.find("alpha"), 1u);
  EXPECT_EQ(spec.find("mid"), 2u);
  EXPECT_EQ(spec.find("zeta"), 0u);
  EXPECT_EQ(spec.find("absent"), FeatureSpec::kNotFound);
  EXPECT_FALSE(spec.entry(1).fixed);
  EXPECT_EQ(spec.entry(1).kind, FeatureKind::kFloat);
  EXPECT_EQ(spec.entry(2).numel, 2);
  EXPECT_TRUE(spec.entry(2).fixed_len.has_default());
  EXPECT_EQ(spec.entry(2).fixed_len.bytes_default(), "d");
  EXPECT_FALSE(spec.entry(0).fixed_len.has_default());
}

TEST(ParseSpecTest, DuplicateKeysAndNegativeDimensionsAreRejected) {
  FeatureSpec spec;
  spec.add("k", FixedLen::int64());
  try {
    spec.add("k", VarLen::bytes());
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "FeatureSpec: key 'k' added twice");
  }
  EXPECT_THROW(FixedLen::float32(Shape{2, -1}), InvalidArgument);
}

TEST(ParseSpecTest, ParsedResultsKeepTheSpecTheyWereParsedWith) {
  FeatureSpec spec;
  spec.add("a", FixedLen::int64(Shape{}, 1));
  const ParsedExample before = parse_example(std::string_view(), spec);
  FeatureSpec copy = spec;
  copy.add("b", FixedLen::int64(Shape{}, 2));
  spec.add("c", FixedLen::int64(Shape{}, 3));
  EXPECT_EQ(before.size(), 1u);
  EXPECT_EQ(before.key(0), "a");
  EXPECT_EQ(copy.size(), 2u);
  EXPECT_EQ(spec.size(), 2u);
  EXPECT_EQ(spec.find("b"), FeatureSpec::kNotFound);
  EXPECT_EQ(parse_example(std::string_view(), copy)["b"].item<std::int64_t>(), 2);
}

}  // namespace
}  // namespace spool::data
