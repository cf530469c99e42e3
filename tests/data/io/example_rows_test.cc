#include "spool/data/io/example_rows.h"

#include <gtest/gtest.h>

#include <vector>

#include "data/io/example_wire_util.h"
#include "spool/data/io/example.h"
#include "spool/data/io/parse_example.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

using namespace spool::testing::wire;  // NOLINT: the hand-written Example bytes

// Two rows of {image bytes [], label i64 [], xy f32 [2]} and the views over them.
struct Batch {
  explicit Batch(const FeatureSpec& spec) : seen(spec.size()) {
    columns.resize(spec.size());
    columns[0].bytes = images.data();
    columns[1].int64s = labels.data();
    columns[2].floats = xy.data();
  }
  ExampleRow row(std::int64_t r) { return {columns, r, seen}; }

  std::vector<std::string_view> images = std::vector<std::string_view>(2);
  std::vector<std::int64_t> labels = std::vector<std::int64_t>(2, -1);
  std::vector<float> xy = std::vector<float>(4, -1);
  std::vector<char> seen;
  std::vector<FeatureColumn> columns;
};

FeatureSpec spec() {
  FeatureSpec s;
  s.add("image/encoded", FixedLen::bytes()).add("label", FixedLen::int64()).add("xy", FixedLen::float32(Shape{2}));
  return s;
}

const std::string kImage = entry("image/encoded", feature(1, bytes_list("abc")));
const std::string kXy = entry("xy", feature(2, floats_list({1.5f, -2}, true)));

TEST(ExampleRows, FastWalkFillsTheRowOfTheCommonLayout) {
  Example ex;
  ex.features["image/encoded"] = Feature::bytes({"pixels"});
  ex.features["label"] = Feature::int64s({7});
  ex.features["xy"] = Feature::floats({0.25f, 4});
  ex.features["unused"] = Feature::floats({9});
  const std::string record = encode_example(ex);
  Batch b(spec());
  std::size_t hint = 0;
  ASSERT_TRUE(read_example_row_fast(record, spec(), b.row(1), hint));
  EXPECT_EQ(b.images[1], "pixels");
  EXPECT_TRUE(b.images[1].data() >= record.data() && b.images[1].data() < record.data() + record.size())
      << "a view into the record";
  EXPECT_EQ(b.labels, (std::vector<std::int64_t>{-1, 7}));  // row 0 untouched
  EXPECT_EQ(b.xy, (std::vector<float>{-1, -1, 0.25f, 4}));
  EXPECT_EQ(b.seen, (std::vector<char>{1, 1, 1}));
  EXPECT_EQ(hint, 0u) << "after 'xy', the last spec entry, the next key is looked for from the start";
  // A record without a spec feature: the fast walk succeeds and leaves it unseen.
  const std::string without_label = example({{kImage, kXy}});  // outlives the views into it
  ASSERT_TRUE(read_example_row_fast(without_label, spec(), b.row(0), hint));
  EXPECT_EQ(b.seen, (std::vector<char>{1, 0, 1}));
  EXPECT_EQ(b.images[0], "abc");
}

// Every layout the fast walk declines is one the general walk reads as parse_example does.
TEST(ExampleRows, OtherLayoutsAreLeftToTheGeneralWalk) {
  const std::vector<std::string> layouts = {
      example({{kImage, entry("label", feature(3, unpacked_int64(-5))), kXy}}),
      example({{kImage, entry("label", feature(3, packed_int64(4))), entry("xy", feature(2, floats_list({3, 4}, false)))}}),
      example({{kImage, kXy, entry("label", feature(3, packed_int64(1))), entry("label", feature(3, packed_int64(2)))}}),
      example({{kImage, kXy}, {entry("label", feature(3, packed_int64(9)))}}),
      example({{kImage, kXy, entry("label", feature(1, bytes_list("x")) + feature(3, packed_int64(4)))}}),
      example({{kImage, kXy, entry("label", feature(2, floats_list({1}, true)))}}),  // the wrong kind
  };
  const std::vector<bool> fast_reads = {true, false, false, true, false, false};
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    Batch b(spec());
    std::size_t hint = 0;
    EXPECT_EQ(read_example_row_fast(layouts[i], spec(), b.row(0), hint), fast_reads[i]) << "layout " << i;
  }
  for (std::size_t i = 0; i + 1 < layouts.size(); ++i) {
    Batch b(spec());
    read_example_row(layouts[i], spec(), b.row(0), {"test", 0});
    const ParsedExample expected = parse_example(std::string_view(layouts[i]), spec());
    EXPECT_EQ(b.labels[0], expected["label"].item<std::int64_t>()) << "layout " << i;
    EXPECT_EQ(std::vector<float>(b.xy.begin(), b.xy.begin() + 2), expected["xy"].to_vector<float>()) << "layout " << i;
    EXPECT_EQ(b.images[0], expected["image/encoded"].as_string_view()) << "layout " << i;
  }
  Batch b(spec());
  try {
    read_example_row(layouts.back(), spec(), b.row(1), {"my_stage", 41});
    FAIL() << "expected an error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "my_stage: feature 'label' of record #41 expected int64 with 1 values, found float_list "
                           "with 1 values");
  }
}

TEST(ExampleRows, ParseFillsDefaultsAndNamesWhatIsMissing) {
  FeatureSpec with_defaults;
  with_defaults.add("image/encoded", FixedLen::bytes(Shape{}, "none"))
      .add("label", FixedLen::int64(Shape{}, 3))
      .add("xy", FixedLen::float32(Shape{2}, 0.5f));
  Batch b(with_defaults);
  std::size_t hint = 0;
  parse_example_row(example({{kXy}}), with_defaults, b.row(1), hint, {"test", 0});
  EXPECT_EQ(b.images[1], "none");
  EXPECT_EQ(b.labels[1], 3);
  EXPECT_EQ(b.xy, (std::vector<float>{-1, -1, 1.5f, -2}));
  parse_example_row(example({{kImage}}), with_defaults, b.row(0), hint, {"test", 0});
  EXPECT_EQ(b.xy, (std::vector<float>{0.5f, 0.5f, 1.5f, -2}));

  try {
    parse_example_row(example({{kImage, kXy}}), spec(), b.row(0), hint, {"parse_example_batch", 12});
    FAIL() << "expected an error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "parse_example_batch: required feature 'label' is missing in record #12");
  }
  // Malformed bytes, even in a feature outside the spec, are the wire reader's error.
  std::string broken = feature(3, packed_int64(1));
  broken.back() = '\x80';  // a varint that never ends
  const std::string malformed = example({{kImage, kXy, entry("label", feature(3, packed_int64(1))), entry("extra", broken)}});
  EXPECT_THROW(parse_example_row(malformed, spec(), b.row(0), hint, {"test", 0}), DataLossError);
  EXPECT_THROW(parse_example_row(std::string("\x0a\x05\x0a", 3), spec(), b.row(0), hint, {"test", 0}), DataLossError);
}

// Found by fuzzing (feature_spec): a key whose last occurrence is a Feature with no kind
// is absent, as parse_example has it; the row kept the earlier occurrence's value.
TEST(ExampleRows, AKeyLastSeenWithNoKindIsMissing) {
  FeatureSpec with_default;
  with_default.add("label", FixedLen::int64(Shape{}, 1));
  const std::string record = example({{entry("label", feature(3, packed_int64(5))), entry("label", "")}});
  EXPECT_EQ(parse_example(std::string_view(record), with_default)["label"].item<std::int64_t>(), 1);
  std::vector<std::int64_t> label{-1};
  const std::vector<FeatureColumn> columns{{.int64s = label.data()}};
  std::vector<char> seen(1);
  std::size_t hint = 0;
  parse_example_row(record, with_default, {columns, 0, seen}, hint, {"test", 0});
  EXPECT_EQ(label[0], 1);
  FeatureSpec required;
  required.add("label", FixedLen::int64());
  EXPECT_THROW(parse_example_row(record, required, {columns, 0, seen}, hint, {"test", 0}), InvalidArgument);
}

}  // namespace
}  // namespace spool::data
