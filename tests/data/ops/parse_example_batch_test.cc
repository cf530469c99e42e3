#include "spool/data/ops/parse_example_batch.h"

#include <gtest/gtest.h>

#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"
#include "spool/data/io/example.h"
#include "spool/data/ops/parse_example_fn.h"

namespace spool::data {
namespace {

// Records with an image of `image_bytes` bytes, a label, and a float pair; record 3
// has no "weight" feature.
Dataset records(std::int64_t n, std::size_t image_bytes = 6) {
  std::vector<Tensor> out;
  for (std::int64_t i = 0; i < n; ++i) {
    Example ex;
    ex.features["image/encoded"] = Feature::bytes({std::string(image_bytes, static_cast<char>('a' + i % 26))});
    ex.features["label"] = Feature::int64s({i * 3});
    ex.features["xy"] = Feature::floats({static_cast<float>(i), 0.5f});
    if (i != 3) ex.features["weight"] = Feature::floats({2.0f});
    out.push_back(Tensor::from_bytes(encode_example(ex)));
  }
  return Dataset::from_generator(
      [out] {
        return [out, i = std::size_t{0}]() mutable -> std::optional<Element> {
          if (i == out.size()) return std::nullopt;
          return Element{out[i++]};
        };
      },
      n);
}

FeatureSpec spec() {
  FeatureSpec s;
  s.add("image/encoded", FixedLen::bytes())
      .add("label", FixedLen::int64())
      .add("xy", FixedLen::float32(Shape{2}))
      .add("weight", FixedLen::float32(Shape{}, 1.0f));
  return s;
}

TEST(ParseExampleBatch, EqualsParsingEachRecordThenBatching) {
  auto fused = records(10).parse_example_batch(spec(), 4);
  EXPECT_EQ(fused.cardinality(), 3);
  auto batches = spool::testing::drain(fused);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0]["image/encoded"].shape(), (Shape{4, 6}));
  EXPECT_EQ(batches[0]["label"].to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(batches[0]["weight"].to_vector<float>(), (std::vector<float>{2, 2, 2, 1}));  // record 3: default
  EXPECT_EQ(batches[2]["xy"].shape(), (Shape{2, 2}));
  // Against the unfused pipeline, with the default filled the same way.
  auto unfused = spool::testing::drain(records(10).map(parse_example(spec())).batch(4));
  ASSERT_EQ(unfused.size(), batches.size());
  for (std::size_t b = 0; b < batches.size(); ++b) EXPECT_EQ(batches[b], unfused[b]) << "batch " << b;
  EXPECT_EQ(spool::testing::drain(records(10).parse_example_batch(spec(), 4, true)).size(), 2u);
}

TEST(ParseExampleBatch, NamesTheRecordWhenBytesLengthsDifferOrAFeatureIsMissing) {
  auto mixed = Dataset::zip({records(2, 6), Dataset::range(2)})
                   .map([](Element e) { return Element{e[0]}; })
                   .concatenate(records(1, 5))
                   .parse_example_batch(spec(), 3);
  try {
    spool::testing::drain(mixed);
    FAIL() << "expected an error";
  } catch (const InvalidArgument& error) {
    EXPECT_STREQ(error.what(),
                 "parse_example_batch: feature 'image/encoded' of record #2 has 5 bytes but record #0 has 6; use "
                 "map(parse_example(spec)) and padded_batch for values of differing lengths");
  }
  FeatureSpec strict;
  strict.add("weight", FixedLen::float32());
  try {
    spool::testing::drain(records(5).parse_example_batch(strict, 5));
    FAIL() << "expected an error";
  } catch (const InvalidArgument& error) {
    EXPECT_STREQ(error.what(), "parse_example_batch: required feature 'weight' is missing in record #3");
  }
  FeatureSpec varlen;
  varlen.add("label", VarLen::int64());
  EXPECT_THROW(records(1).parse_example_batch(varlen, 2), InvalidArgument);
}

TEST(ParseExampleBatch, ResumesExactly) {
  auto ds = records(11).shuffle(ShuffleOptions().buffer_size(4).seed(2)).parse_example_batch(spec(), 3);
  spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
