#include "spool/data/io/parse_example.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "example_test_util.h"
#include "spool/data/io/example.h"
#include "spool/data/io/sequence_example.h"
#include "test_support.h"

namespace spool::data {
namespace {

template <typename F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidArgument";
  return "";
}

std::string sample_record() {
  Example ex;
  ex.features["label"] = Feature::int64s({7});
  ex.features["image/encoded"] = Feature::bytes({"\xff\xd8jpeg-bytes"});
  ex.features["weights"] = Feature::floats({1, 2, 3, 4, 5, 6});
  ex.features["tokens"] = Feature::bytes({"ab", "", "cde"});
  ex.features["ids"] = Feature::int64s({-1, 5});
  ex.features["empty"] = Feature{};
  return encode_example(ex);
}

TEST(ParseExampleTest, EveryKindFixedAndVariable) {
  FeatureSpec spec;
  spec.add("label", FixedLen::int64())
      .add("weights", FixedLen::float32(Shape{2, 3}))
      .add("image/encoded", FixedLen::bytes())
      .add("tokens", VarLen::bytes())
      .add("ids", VarLen::int64())
      .add("tokens_fixed", FixedLen::bytes(Shape{3}, "x"))
      .add("no_floats", VarLen::float32());
  const ParsedExample ex = parse_example(sample_record(), spec);
  ASSERT_EQ(ex.size(), 7u);
  EXPECT_EQ(ex.key(0), "label");
  EXPECT_EQ(ex.key(6), "no_floats");

  EXPECT_EQ(ex["label"].dtype(), DType::kI64);
  EXPECT_EQ(ex["label"].shape(), Shape{});
  EXPECT_EQ(ex["label"].item<std::int64_t>(), 7);

  EXPECT_EQ(ex["weights"].dtype(), DType::kF32);
  EXPECT_EQ(ex["weights"].shape(), (Shape{2, 3}));
  EXPECT_EQ(ex["weights"].to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  EXPECT_EQ(ex["image/encoded"].dtype(), DType::kU8);
  EXPECT_EQ(ex["image/encoded"].as_string_view(), "\xff\xd8jpeg-bytes");
  EXPECT_FALSE(ex.feature("image/encoded").byte_lengths.defined());

  EXPECT_EQ(ex["tokens"].as_string_view(), "abcde");
  EXPECT_EQ(ex.feature("tokens").byte_lengths.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 0, 3}));
  EXPECT_EQ(ex["ids"].to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, 5}));

  // Missing, with a default that fills the shape.
  EXPECT_EQ(ex["tokens_fixed"].as_string_view(), "xxx");
  EXPECT_EQ(ex.feature("tokens_fixed").byte_lengths.shape(), Shape{3});
  EXPECT_EQ(ex["no_floats"].shape(), Shape{0});
  EXPECT_EQ(ex["no_floats"].dtype(), DType::kF32);
}

TEST(ParseExampleTest, FixedLenBytesWithShapeConcatenatesAndRecordsLengths) {
  FeatureSpec spec;
  spec.add("tokens", FixedLen::bytes(Shape{3}));
  const ParsedExample ex = parse_example(sample_record(), spec);
  EXPECT_EQ(ex["tokens"].as_string_view(), "abcde");
  EXPECT_EQ(ex.feature("tokens").byte_lengths.shape(), Shape{3});
  EXPECT_EQ(ex.feature("tokens").byte_lengths.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 0, 3}));
}

TEST(ParseExampleTest, DefaultsFillMissingAndKindlessFeatures) {
  FeatureSpec spec;
  spec.add("missing", FixedLen::int64(Shape{2}, -3))
      .add("empty", FixedLen::float32(Shape{}, 0.5f))  // present but no kind set
      .add("name", FixedLen::bytes(Shape{}, "none"))
      .add("empty_var", VarLen::bytes());
  const ParsedExample ex = parse_example(sample_record(), spec);
  EXPECT_EQ(ex["missing"].to_vector<std::int64_t>(), (std::vector<std::int64_t>{-3, -3}));
  EXPECT_EQ(ex["empty"].item<float>(), 0.5f);
  EXPECT_EQ(ex["name"].as_string_view(), "none");
  EXPECT_EQ(ex["empty_var"].numel(), 0);
  EXPECT_EQ(ex.feature("empty_var").byte_lengths.shape(), Shape{0});
}

TEST(ParseExampleTest, MissingRequiredFeatureNamesTheKey) {
  FeatureSpec spec;
  spec.add("absent", FixedLen::int64());
  EXPECT_EQ(invalid_argument_message([&] { parse_example(sample_record(), spec); }),
            "parse_example: required feature 'absent' is missing");
  FeatureSpec kindless;
  kindless.add("empty", FixedLen::bytes());
  EXPECT_EQ(invalid_argument_message([&] { parse_example(sample_record(), kindless); }),
            "parse_example: required feature 'empty' is missing");
}

TEST(ParseExampleTest, WrongKindAndWrongCountSayWhatWasExpectedAndFound) {
  FeatureSpec wrong_kind;
  wrong_kind.add("weights", FixedLen::int64());
  EXPECT_EQ(invalid_argument_message([&] { parse_example(sample_record(), wrong_kind); }),
            "parse_example: feature 'weights' expected int64 with 1 value (shape []), found float_list with 6 values");

  FeatureSpec wrong_count;
  wrong_count.add("weights", FixedLen::float32(Shape{28, 28}));
  EXPECT_EQ(invalid_argument_message([&] { parse_example(sample_record(), wrong_count); }),
            "parse_example: feature 'weights' expected float with 784 values (shape [28, 28]), found float_list "
            "with 6 values");

  FeatureSpec var_kind;
  var_kind.add("label", VarLen::bytes());
  EXPECT_EQ(invalid_argument_message([&] { parse_example(sample_record(), var_kind); }),
            "parse_example: feature 'label' expected bytes values (VarLen), found int64_list with 1 value");
}

TEST(ParseExampleTest, ScalarBytesFromATensorRecordAreAZeroCopyView) {
  // The record sits at an offset inside a bigger buffer, as in a reader's block.
  const std::string bytes = sample_record();
  Tensor block = Tensor::from_bytes("PREFIX" + bytes + "SUFFIX");
  Tensor record = block.narrow(0, 6, static_cast<std::int64_t>(bytes.size()));
  FeatureSpec spec;
  spec.add("image/encoded", FixedLen::bytes()).add("label", FixedLen::int64());
  const ParsedExample ex = parse_example(record, spec);
  const Tensor& jpeg = ex["image/encoded"];
  EXPECT_EQ(jpeg.storage(), record.storage());
  EXPECT_EQ(jpeg.as_string_view(), "\xff\xd8jpeg-bytes");
  const auto* begin = static_cast<const char*>(record.raw_data());
  EXPECT_EQ(jpeg.as_string_view().data(), begin + bytes.find("\xff\xd8jpeg"));
  EXPECT_EQ(ex["label"].item<std::int64_t>(), 7);

  // The view keeps the record's storage alive on its own.
  Tensor kept = jpeg;
  block = Tensor();
  record = Tensor();
  EXPECT_EQ(kept.as_string_view(), "\xff\xd8jpeg-bytes");

  // From a string_view the bytes are copied into storage of their own.
  const ParsedExample copied = parse_example(std::string_view(bytes), spec);
  EXPECT_EQ(copied["image/encoded"].as_string_view(), "\xff\xd8jpeg-bytes");
  EXPECT_NE(copied["image/encoded"].as_string_view().data(), bytes.data() + bytes.find("\xff\xd8jpeg"));
}

TEST(ParseExampleTest, RejectsRecordTensorsThatAreNotOneDimensionalBytes) {
  FeatureSpec spec;
  spec.add("label", FixedLen::int64());
  EXPECT_EQ(invalid_argument_message([&] { parse_example(Tensor::from_vector<float>({1, 2}), spec); }),
            "parse_example: the record must be a 1-D u8 tensor, got f32 [2]");
  EXPECT_THROW(parse_example(Tensor(), spec), InvalidArgument);
}

TEST(ParseExampleTest, LastOccurrenceOfARepeatedKeyWins) {
  Example first, second;
  first.features["k"] = Feature::int64s({1});
  second.features["k"] = Feature::int64s({2});
  // Two serialized Examples concatenated parse as one whose maps merge.
  const std::string record = encode_example(first) + encode_example(second);
  FeatureSpec spec;
  spec.add("k", FixedLen::int64());
  EXPECT_EQ(parse_example(record, spec)["k"].item<std::int64_t>(), 2);
}

TEST(ParseExampleTest, UnknownKeyLookupAndMalformedRecords) {
  FeatureSpec spec;
  spec.add("label", FixedLen::int64());
  const ParsedExample ex = parse_example(sample_record(), spec);
  EXPECT_EQ(invalid_argument_message([&] { (void)ex["nope"]; }), "ParsedExample: key 'nope' is not in the spec");
  const std::string record = sample_record();
  for (std::size_t n = 1; n < record.size(); ++n) {
    EXPECT_THROW(parse_example(std::string_view(record.data(), n), spec), DataLossError) << n;
  }
}

TEST(ParseExampleTest, MnistFromTensorFlowParsesAgainstASpec) {
  const std::filesystem::path dir = spool::testing::shared_data_dir();
  if (dir.empty()) GTEST_SKIP() << "shared data folder not found";
  const auto records = spool::testing::read_raw_frames((dir / "tfrecord" / "tfx_mnist.tfrecord").string(), 50);
  FeatureSpec spec;
  spec.add("image_floats", FixedLen::float32(Shape{28, 28})).add("image_class", FixedLen::int64());
  for (const std::string& record : records) {
    const ParsedExample ex = parse_example(Tensor::from_bytes(record), spec);
    EXPECT_EQ(ex["image_floats"].shape(), (Shape{28, 28}));
    const Example decoded = decode_example(record);
    EXPECT_EQ(ex["image_floats"].to_vector<float>(), decoded.features.at("image_floats").float_list);
    EXPECT_EQ(ex["image_class"].item<std::int64_t>(), decoded.features.at("image_class").int64_list[0]);
  }
}

// --- parse_sequence_example ---

std::string sample_sequence() {
  SequenceExample se;
  se.context["length"] = Feature::int64s({3});
  se.context["nothing"] = Feature{};
  se.feature_lists["frames"] = {Feature::floats({1, 2}), Feature::floats({3, 4}), Feature::floats({5, 6})};
  se.feature_lists["ids"] = {Feature::int64s({1}), Feature::int64s({}), Feature::int64s({2, 3})};
  se.feature_lists["words"] = {Feature::bytes({"a", "bc"}), Feature::bytes({}), Feature::bytes({"def"})};
  se.feature_lists["label"] = {Feature::bytes({"x"}), Feature::bytes({"yz"}), Feature::bytes({""})};
  return encode_sequence_example(se);
}

TEST(ParseSequenceExampleTest, ContextAndFeatureListsOfEveryShape) {
  FeatureSpec context;
  context.add("length", FixedLen::int64()).add("nothing", FixedLen::float32(Shape{}, -1.0f));
  FeatureSpec lists;
  lists.add("frames", FixedLen::float32(Shape{2}))
      .add("ids", VarLen::int64())
      .add("words", VarLen::bytes())
      .add("label", FixedLen::bytes())
      .add("absent", FixedLen::int64(Shape{4}));
  const ParsedSequenceExample se = parse_sequence_example(Tensor::from_bytes(sample_sequence()), context, lists);

  EXPECT_EQ(se.context["length"].item<std::int64_t>(), 3);
  EXPECT_EQ(se.context["nothing"].item<float>(), -1.0f);

  EXPECT_EQ(se.feature_lists["frames"].shape(), (Shape{3, 2}));
  EXPECT_EQ(se.feature_lists["frames"].to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  const ParsedFeature& ids = se.feature_lists.feature("ids");
  EXPECT_EQ(ids.values.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(ids.row_lengths.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 2}));

  const ParsedFeature& words = se.feature_lists.feature("words");
  EXPECT_EQ(words.values.as_string_view(), "abcdef");
  EXPECT_EQ(words.byte_lengths.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(words.row_lengths.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 0, 1}));

  const ParsedFeature& label = se.feature_lists.feature("label");
  EXPECT_EQ(label.values.as_string_view(), "xyz");
  EXPECT_EQ(label.byte_lengths.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 2, 0}));
  EXPECT_FALSE(label.row_lengths.defined());

  EXPECT_EQ(se.feature_lists["absent"].shape(), (Shape{0, 4}));
}

TEST(ParseSequenceExampleTest, ErrorsNameTheListAndTheStep) {
  FeatureSpec context;
  FeatureSpec lists;
  lists.add("ids", FixedLen::int64());
  EXPECT_EQ(invalid_argument_message([&] { parse_sequence_example(sample_sequence(), context, lists); }),
            "parse_sequence_example: feature list 'ids' step 1 expected int64 with 1 value (shape []), found "
            "int64_list with 0 values");
  FeatureSpec wrong_kind;
  wrong_kind.add("frames", VarLen::bytes());
  EXPECT_EQ(invalid_argument_message([&] { parse_sequence_example(sample_sequence(), context, wrong_kind); }),
            "parse_sequence_example: feature list 'frames' step 0 expected bytes values (VarLen), found "
            "float_list with 2 values");
  FeatureSpec required;
  required.add("missing", FixedLen::int64());
  EXPECT_EQ(invalid_argument_message([&] { parse_sequence_example(sample_sequence(), required, lists); }),
            "parse_sequence_example: required context feature 'missing' is missing");
}

}  // namespace
}  // namespace spool::data
