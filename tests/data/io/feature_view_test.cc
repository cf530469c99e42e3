#include "spool/data/io/feature_view.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "spool/data/io/example.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

struct Seen {
  std::string key;
  FeatureKind kind;
  std::size_t size;
};

std::vector<Seen> walk(std::string_view record) {
  std::vector<Seen> out;
  for_each_feature(record, [&](std::string_view key, const FeatureView& f) {
    out.push_back({std::string(key), f.kind(), f.size()});
  });
  return out;
}

// Example{ features{ "k": <feature> } } around hand-written Feature bytes.
// (Views point into the record, so tests keep the returned string alive while they look.)
std::string example_with_feature(const std::string& feature) {
  std::string entry;
  WireWriter e(entry);
  e.length_delimited(1, "k");
  e.length_delimited(2, feature);
  std::string features;
  WireWriter(features).length_delimited(1, entry);
  std::string out;
  WireWriter(out).length_delimited(1, features);
  return out;
}

FeatureView only_feature(const std::string& record) {
  FeatureView found;
  int n = 0;
  for_each_feature(record, [&](std::string_view, const FeatureView& f) {
    found = f;
    ++n;
  });
  EXPECT_EQ(n, 1);
  return found;
}

TEST(ExampleViewTest, WalksFeaturesInOrderWithKindsCountsAndValues) {
  Example ex;
  ex.features["a/bytes"] = Feature::bytes({"hello", "", "xyz"});
  ex.features["b/floats"] = Feature::floats({1.5f, -2.0f});
  ex.features["c/ints"] = Feature::int64s({-7, 1LL << 40});
  ex.features["d/none"] = Feature{};
  const std::string record = encode_example(ex);

  const std::vector<Seen> seen = walk(record);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].key, "a/bytes");
  EXPECT_EQ(seen[0].kind, FeatureKind::kBytes);
  EXPECT_EQ(seen[0].size, 3u);
  EXPECT_EQ(seen[1].kind, FeatureKind::kFloat);
  EXPECT_EQ(seen[1].size, 2u);
  EXPECT_EQ(seen[2].kind, FeatureKind::kInt64);
  EXPECT_EQ(seen[3].kind, FeatureKind::kNone);
  EXPECT_EQ(seen[3].size, 0u);

  for_each_feature(record, [&](std::string_view key, const FeatureView& f) {
    // Keys and bytes values are views into the record itself.
    EXPECT_GE(key.data(), record.data());
    EXPECT_LE(key.data() + key.size(), record.data() + record.size());
    if (key == "a/bytes") {
      const std::vector<std::string_view> values = f.bytes();
      ASSERT_EQ(values.size(), 3u);
      EXPECT_EQ(values[0], "hello");
      EXPECT_EQ(values[1], "");
      EXPECT_EQ(values[2], "xyz");
      EXPECT_GE(values[0].data(), record.data());
      EXPECT_LT(values[0].data(), record.data() + record.size());
      EXPECT_EQ(f.bytes(2).size(), 2u);
    }
    if (key == "b/floats") {
      EXPECT_EQ(f.floats(), (std::vector<float>{1.5f, -2.0f}));
    }
    if (key == "c/ints") {
      EXPECT_EQ(f.int64s(), (std::vector<std::int64_t>{-7, 1LL << 40}));
    }
  });
}

TEST(ExampleViewTest, FirstValuesForInspection) {
  std::vector<float> many(100);
  for (int i = 0; i < 100; ++i) many[static_cast<std::size_t>(i)] = static_cast<float>(i);
  Example ex;
  ex.features["x"] = Feature::floats(many);
  const std::string record = encode_example(ex);
  const FeatureView f = only_feature(record);
  EXPECT_EQ(f.size(), 100u);
  EXPECT_EQ(f.floats(8), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  float buf[3];
  EXPECT_EQ(f.read_floats(buf), 3u);
  EXPECT_EQ(buf[2], 2.0f);
}

TEST(ExampleViewTest, ReadingTheWrongKindThrowsAndNoKindReadsEmpty) {
  Example ex;
  ex.features["k"] = Feature::int64s({1});
  const std::string record = encode_example(ex);
  const FeatureView f = only_feature(record);
  EXPECT_THROW(f.floats(), InvalidArgument);
  EXPECT_THROW(f.bytes(), InvalidArgument);
  const FeatureView none;
  EXPECT_TRUE(none.floats().empty());
  EXPECT_TRUE(none.int64s().empty());
  EXPECT_TRUE(none.bytes().empty());
}

TEST(ExampleViewTest, FeatureWithNoKindAndUnknownFieldsInside) {
  // Feature{ unknown field 9 (varint 1) }: no kind set, like TFX writes for missing values.
  const std::string record = example_with_feature(std::string("\x48\x01", 2));
  const FeatureView f = only_feature(record);
  EXPECT_EQ(f.kind(), FeatureKind::kNone);
  EXPECT_EQ(f.size(), 0u);
  // Empty Feature message.
  EXPECT_EQ(only_feature(example_with_feature("")).kind(), FeatureKind::kNone);
}

TEST(ExampleViewTest, OneofLastKindWinsAndRepeatsOfItMerge) {
  // bytes_list{"a"}, int64_list packed [1, 2], unknown fixed32, int64_list unpacked [3].
  const std::string feature(
      "\x0a\x03\x0a\x01" "a"
      "\x1a\x04\x0a\x02\x01\x02"
      "\x25\x00\x00\x00\x00"
      "\x1a\x02\x08\x03",
      5 + 6 + 5 + 4);
  const std::string record = example_with_feature(feature);
  const FeatureView f = only_feature(record);
  EXPECT_EQ(f.kind(), FeatureKind::kInt64);
  EXPECT_EQ(f.size(), 3u);
  EXPECT_EQ(f.int64s(), (std::vector<std::int64_t>{1, 2, 3}));

  // int64_list then bytes_list: the bytes replace the ints.
  const std::string switched("\x1a\x02\x08\x03" "\x0a\x03\x0a\x01" "b", 4 + 5);
  const std::string switched_record = example_with_feature(switched);
  const FeatureView g = only_feature(switched_record);
  EXPECT_EQ(g.kind(), FeatureKind::kBytes);
  ASSERT_EQ(g.bytes().size(), 1u);
  EXPECT_EQ(g.bytes()[0], "b");
}

TEST(ExampleViewTest, UnpackedAndMixedPackingFloats) {
  // FloatList{ value: 1.0 (unpacked), packed [2.0, 3.0], value: 4.0 (unpacked) }.
  std::string list;
  WireWriter w(list);
  const float values[] = {1.0f, 2.0f, 3.0f, 4.0f};
  std::uint32_t bits[4];
  std::memcpy(bits, values, sizeof bits);
  w.tag(1, WireType::kFixed32);
  w.fixed32(bits[0]);
  w.length_delimited(1, std::string_view(reinterpret_cast<const char*>(&values[1]), 8));
  w.tag(1, WireType::kFixed32);
  w.fixed32(bits[3]);
  std::string feature;
  WireWriter(feature).length_delimited(2, list);
  const std::string record = example_with_feature(feature);
  const FeatureView f = only_feature(record);
  EXPECT_EQ(f.size(), 4u);
  EXPECT_EQ(f.floats(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(f.floats(3), (std::vector<float>{1, 2, 3}));
}

TEST(ExampleViewTest, RepeatedKeysAreAllVisitedInOrder) {
  // Two entries for "k" in one map: the view reports both; consumers keep the last.
  std::string features;
  WireWriter w(features);
  for (std::int64_t v : {1, 2}) {
    std::string list, feature, entry;
    WireWriter(list).length_delimited(1, std::string(1, static_cast<char>(v)));
    WireWriter(feature).length_delimited(3, list);
    WireWriter e(entry);
    e.length_delimited(1, "k");
    e.length_delimited(2, feature);
    w.length_delimited(1, entry);
  }
  std::string record;
  WireWriter(record).length_delimited(1, features);
  std::vector<std::int64_t> values;
  for_each_feature(record, [&](std::string_view key, const FeatureView& f) {
    EXPECT_EQ(key, "k");
    values.push_back(f.int64s().at(0));
  });
  EXPECT_EQ(values, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(decode_example(record).features.at("k"), Feature::int64s({2}));
}

TEST(ExampleViewTest, MapEntryWithoutKeyOrValue) {
  // entry{} and entry{ value{} } and entry{ key "v" }: key "" / empty Feature.
  const std::string record("\x0a\x0b" "\x0a\x00" "\x0a\x02\x12\x00" "\x0a\x03\x0a\x01" "v", 13);
  const std::vector<Seen> seen = walk(record);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].key, "");
  EXPECT_EQ(seen[1].key, "");
  EXPECT_EQ(seen[2].key, "v");
  EXPECT_EQ(seen[2].kind, FeatureKind::kNone);
}

TEST(ExampleViewTest, MalformedPackedInt64IsDataLossWithOffset) {
  // int64_list packed payload ends inside a varint (0x80 continues).
  const std::string record = example_with_feature(std::string("\x1a\x03\x0a\x01\x80", 5));
  try {
    walk(record);
    FAIL();
  } catch (const DataLossError& e) {
    const std::size_t at = record.size() - 1;
    EXPECT_EQ(std::string(e.what()), "Example: truncated varint at offset " + std::to_string(at));
  }
}

}  // namespace
}  // namespace spool::data
