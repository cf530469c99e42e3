#include "spool/data/io/sequence_example.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "example_test_util.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::hex;

SequenceExample small() {
  SequenceExample se;
  se.context["c"] = Feature::int64s({1});
  se.feature_lists["l"] = {Feature::int64s({2})};
  return se;
}

TEST(SequenceExampleTest, EncodesTheBytesTensorFlowWrites) {
  // context: Features{ "c": int64_list [1] } (12 bytes) as field 1;
  // feature_lists: FeatureLists{ "l": FeatureList{ feature: int64_list [2] } } (14) as field 2.
  EXPECT_EQ(hex(encode_sequence_example(small())),
            "0a 0c 0a 0a 0a 01 63 12 05 1a 03 0a 01 01 "
            "12 0e 0a 0c 0a 01 6c 12 07 0a 05 1a 03 0a 01 02");
  EXPECT_EQ(encode_sequence_example(SequenceExample{}), "");
}

TEST(SequenceExampleTest, RoundTripsEmptyStepsKindlessStepsAndEmptyLists) {
  SequenceExample se;
  se.context["f"] = Feature{};
  se.context["v"] = Feature::floats({std::numeric_limits<float>::quiet_NaN(), -0.0f});
  se.feature_lists["bytes"] = {Feature::bytes({"a", ""}), Feature::bytes({}), Feature{}};
  se.feature_lists["empty"] = {};
  se.feature_lists["ints"] = {Feature::int64s({std::numeric_limits<std::int64_t>::min()}), Feature::int64s({-2, 2})};
  const std::string encoded = encode_sequence_example(se);
  EXPECT_EQ(decode_sequence_example(encoded), se);
  EXPECT_EQ(encode_sequence_example(decode_sequence_example(encoded)), encoded);
}

TEST(SequenceExampleTest, ViewsReportStepsAndKinds) {
  SequenceExample se = small();
  se.feature_lists["w"] = {Feature{}, Feature::bytes({"xy", "z"})};
  const std::string record = encode_sequence_example(se);
  std::map<std::string, std::vector<std::size_t>> counts;
  std::map<std::string, FeatureKind> kinds;
  for_each_feature_list(record, [&](std::string_view key, const FeatureListView& list) {
    for (const FeatureView& step : list.steps()) counts[std::string(key)].push_back(step.size());
    kinds[std::string(key)] = list.kind();
  });
  EXPECT_EQ(counts["l"], (std::vector<std::size_t>{1}));
  EXPECT_EQ(counts["w"], (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(kinds["w"], FeatureKind::kBytes);
  int context_features = 0;
  for_each_context_feature(record, [&](std::string_view key, const FeatureView& f) {
    EXPECT_EQ(key, "c");
    EXPECT_EQ(f.int64s(), (std::vector<std::int64_t>{1}));
    ++context_features;
  });
  EXPECT_EQ(context_features, 1);
}

TEST(SequenceExampleTest, TruncationThrowsExceptAtTheFieldBoundary) {
  // Two top-level fields: the prefix that ends after the context field is itself a
  // valid SequenceExample (context only); every other proper prefix is DataLossError.
  const std::string full = encode_sequence_example(small());
  const std::size_t boundary = 14;
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::string_view prefix(full.data(), n);
    if (n == 0) {
      EXPECT_EQ(decode_sequence_example(prefix), SequenceExample{});
    } else if (n == boundary) {
      SequenceExample context_only;
      context_only.context = small().context;
      EXPECT_EQ(decode_sequence_example(prefix), context_only);
    } else {
      try {
        decode_sequence_example(prefix);
        ADD_FAILURE() << "prefix of " << n << " bytes decoded";
      } catch (const DataLossError& e) {
        EXPECT_NE(std::string(e.what()).find("SequenceExample: "), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(" at offset "), std::string::npos) << e.what();
      }
    }
  }
}

TEST(SequenceExampleTest, WrongWireTypeForFeatureListIsDataLoss) {
  // FeatureList.feature as a varint: 12 06 | 0a 04 0a 00 12 00 would be fine; use 08 01.
  const std::string record("\x12\x08\x0a\x06\x0a\x01l\x12\x01\x08", 10);
  EXPECT_THROW(decode_sequence_example(record), DataLossError);
  const std::string varint_feature("\x12\x09\x0a\x07\x0a\x01l\x12\x02\x08\x01", 11);
  try {
    decode_sequence_example(varint_feature);
    FAIL();
  } catch (const DataLossError& e) {
    EXPECT_STREQ(e.what(),
                 "SequenceExample: field 1 (FeatureList.feature) has wire type varint, expected length-delimited at "
                 "offset 9");
  }
}

std::vector<std::string> shared_records(const std::string& name) {
  const std::filesystem::path dir = spool::testing::shared_data_dir();
  if (dir.empty()) return {};
  return spool::testing::read_raw_frames((dir / "tfrecord" / name).string());
}

TEST(SequenceExampleTest, LimitsBoundStepsValuesAndLists) {
  SequenceExample se = small();
  se.feature_lists["steps"] = std::vector<Feature>(10, Feature::floats({1.0f, 2.0f}));
  const std::string record = encode_sequence_example(se);
  EXPECT_EQ(decode_sequence_example(record, ExampleLimits().max_steps(10).max_values(2).max_features(2)), se);
  EXPECT_THROW(
      {
        try {
          decode_sequence_example(record, ExampleLimits().max_steps(9));
        } catch (const InvalidArgument& e) {
          EXPECT_NE(std::string(e.what()).find("holds more than ExampleLimits::max_steps (9) steps"), std::string::npos)
              << e.what();
          throw;
        }
      },
      InvalidArgument);
  try {
    decode_sequence_example(record, ExampleLimits().max_values(1));
    ADD_FAILURE() << "2 values a step passed a limit of 1";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(),
                 "SequenceExample feature list: 2 values at key 'steps', more than ExampleLimits::max_values (1)");
  }
  try {
    decode_sequence_example(record, ExampleLimits().max_features(1));
    ADD_FAILURE() << "2 feature lists passed a limit of 1";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(),
                 "SequenceExample feature lists: 2 features at key 'steps', more than ExampleLimits::max_features (1)");
  }
}

TEST(SequenceExampleTest, TfxSequenceFileWithKindlessContextFeatures) {
  const std::vector<std::string> records = shared_records("tfx_sequence_train.tfrecord.gz");
  if (records.empty()) GTEST_SKIP() << "shared data folder not found";
  ASSERT_EQ(records.size(), 10500u);
  const SequenceExample first = decode_sequence_example(records[0]);
  EXPECT_EQ(first.context.at("f").kind, FeatureKind::kNone);
  EXPECT_EQ(first.context.at("i").kind, FeatureKind::kNone);
  const std::vector<Feature>& s = first.feature_lists.at("s");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].kind, FeatureKind::kBytes);
  EXPECT_EQ(s[0].size(), 1u);
  EXPECT_EQ(s[1].size(), 1u);
  std::size_t kindless = 0;
  for (const std::string& record : records) {
    const SequenceExample se = decode_sequence_example(record);
    if (se.context.count("f") != 0 && se.context.at("f").kind == FeatureKind::kNone) ++kindless;
  }
  EXPECT_EQ(kindless, 1050u);  // MANIFEST.json / README: 1050 of 10500 records
}

TEST(SequenceExampleTest, TransformSequenceFileMatchesTheManifest) {
  const std::vector<std::string> records = shared_records("transform_sequence_example.tfrecord.gz");
  if (records.empty()) GTEST_SKIP() << "shared data folder not found";
  ASSERT_EQ(records.size(), 3u);
  const SequenceExample first = decode_sequence_example(records[0]);
  EXPECT_EQ(first.context.at("float_feature").float_list.size(), 4u);
  EXPECT_EQ(first.context.at("int_feature").int64_list.size(), 1u);
  const auto& ints = first.feature_lists.at("int_feature");
  ASSERT_EQ(ints.size(), 2u);
  EXPECT_EQ(ints[0].int64_list.size(), 2u);
  EXPECT_EQ(ints[1].int64_list.size(), 2u);
  const auto& strings = first.feature_lists.at("string_feature");
  ASSERT_EQ(strings.size(), 2u);
  EXPECT_EQ(strings[0].kind, FeatureKind::kBytes);
  EXPECT_EQ(strings[0].bytes_list.size(), 2u);
  EXPECT_EQ(strings[1].kind, FeatureKind::kBytes);  // an empty bytes_list keeps its kind
  EXPECT_EQ(strings[1].bytes_list.size(), 0u);
}

}  // namespace
}  // namespace spool::data
