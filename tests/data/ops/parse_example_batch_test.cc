#include "spool/data/ops/parse_example_batch.h"

#include <gtest/gtest.h>

#include <cstring>

#include "data/io/example_wire_util.h"
#include "data/pipeline_test_util.h"
#include "spool/data/dataset.h"
#include "spool/data/io/example.h"
#include "spool/data/io/protobuf_wire.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/ops/parse_example_fn.h"
#include "spool/data/sources/tfrecord_dataset.h"
#include "test_support.h"

namespace spool::data {
namespace {

using namespace spool::testing::wire;  // NOLINT: the hand-written Example bytes

// Records with an image of `image_bytes` bytes, a label, and a float pair; record 3
// has no "weight" feature.
Dataset records(std::int64_t n, std::size_t image_bytes = 6) {
  std::vector<Element> out;
  for (std::int64_t i = 0; i < n; ++i) {
    Example ex;
    ex.features["image/encoded"] = Feature::bytes({std::string(image_bytes, static_cast<char>('a' + i % 26))});
    ex.features["label"] = Feature::int64s({i * 3});
    ex.features["xy"] = Feature::floats({static_cast<float>(i), 0.5f});
    if (i != 3) ex.features["weight"] = Feature::floats({2.0f});
    out.push_back(Element{Tensor::from_bytes(encode_example(ex))});
  }
  return spool::testing::from_elements(std::move(out));
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
  // (as written: the rewrites would run this as parse_example_batch too)
  auto unfused = spool::testing::drain(records(10).map(parse_example(spec())).batch(4).with_options(
      Options().optimizations(Optimizations::none())));
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

Dataset of_records(std::vector<std::string> serialized) {
  return Dataset::from_generator([serialized] {
    return [serialized, i = std::size_t{0}]() mutable -> std::optional<Element> {
      if (i == serialized.size()) return std::nullopt;
      return Element(Tensor::from_bytes(serialized[i++]));
    };
  });
}
TEST(ParseExampleBatch, UnusualLayoutsParseAsTheGeneralParserParsesThem) {
  const std::string image = entry("image/encoded", feature(1, bytes_list("abcdef")));
  const std::string xy = entry("xy", feature(2, floats_list({1.5f, -2}, true)));
  std::vector<std::string> layouts = {
      // the common layout, keys in another order, plus a feature outside the spec
      example({{entry("label", feature(3, packed_int64(7))), xy, entry("other", feature(3, packed_int64(1))), image}}),
      // unpacked int64 and floats
      example({{image, entry("label", feature(3, unpacked_int64(-5))),
                entry("xy", feature(2, floats_list({3, 4}, false)))}}),
      // a repeated key: protobuf keeps the last
      example({{image, xy, entry("label", feature(3, packed_int64(1))), entry("label", feature(3, packed_int64(2)))}}),
      // two Features fields, merged
      example({{image, xy}, {entry("label", feature(3, packed_int64(9)))}}),
      // a Feature holding a bytes_list, then an int64_list: the last kind wins
      example({{image, xy, entry("label", feature(1, bytes_list("x")) + feature(3, packed_int64(4)))}}),
      // a large varint
      example({{image, xy, entry("label", feature(3, packed_int64(std::int64_t{1} << 50)))}}),
  };
  const Dataset source = of_records(layouts);
  FeatureSpec s;
  s.add("image/encoded", FixedLen::bytes()).add("label", FixedLen::int64()).add("xy", FixedLen::float32(Shape{2}));
  const auto fused = spool::testing::drain(source.parse_example_batch(s, 6));
  const auto general = spool::testing::drain(
      source.map(parse_example(s)).batch(6).with_options(Options().optimizations(Optimizations::none())));
  ASSERT_EQ(fused.size(), 1u);
  ASSERT_EQ(general.size(), 1u);
  EXPECT_EQ(fused[0], general[0]);
  EXPECT_EQ(fused[0]["label"].to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{7, -5, 2, 9, 4, std::int64_t{1} << 50}));
  EXPECT_EQ(fused[0]["xy"].to_vector<float>(), (std::vector<float>{1.5f, -2, 3, 4, 1.5f, -2, 1.5f, -2, 1.5f, -2, 1.5f, -2}));

  // A kind other than the spec's is the general parser's error, not a silent skip.
  const std::string wrong = example({{image, xy, entry("label", feature(2, floats_list({1}, true)))}});
  const Dataset bad = of_records({wrong});
  EXPECT_THROW(spool::testing::drain(bad.parse_example_batch(s, 1)), InvalidArgument);
  // A malformed feature outside the spec is caught as the general parser catches it.
  std::string broken_feature = feature(3, packed_int64(1));
  broken_feature.back() = '\x80';  // a varint that never ends
  const std::string malformed = example({{image, xy, entry("label", feature(3, packed_int64(1))),
                                          entry("extra", broken_feature)}});
  const Dataset worse = of_records({malformed});
  EXPECT_THROW(spool::testing::drain(worse.parse_example_batch(s, 1)), DataLossError);
}

// From TFRecord files the stage takes the records' bytes without a tensor per record:
// the same batches as from any other source, the stage statistics counting the
// records' bytes, and a corrupt record's error as the reader gives it.
TEST(ParseExampleBatch, ReadsTFRecordFilesAsAnyOtherSource) {
  spool::testing::TempDir dir;
  const std::string file = dir.file("records.tfrecord");
  std::int64_t bytes = 0;
  {
    TFRecordWriter writer(file);
    for (const Element& e : spool::testing::drain(records(10))) {
      writer.write(e[0].as_string_view());
      bytes += e[0].numel();
    }
    writer.close();
  }
  const auto expected = spool::testing::drain(records(10).parse_example_batch(spec(), 4));
  for (std::int64_t reads : {1, 2}) {
    SCOPED_TRACE(reads);
    Iterator it = TFRecordDataset({file}, {}, reads).parse_example_batch(spec(), 4).make_iterator();
    const auto got = spool::testing::drain(it);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t b = 0; b < got.size(); ++b) EXPECT_EQ(got[b], expected[b]) << "batch " << b;
    for (const StageStats& s : it.stats().stages) {
      if (s.name == "tfrecord") {
        EXPECT_EQ(s.elements, 10);
        EXPECT_EQ(s.bytes, bytes);
      }
    }
  }
  // Record 5 corrupt: batch 1 (records 4-7) fails with the reader's message.
  std::string content = spool::testing::read_file(file);
  std::uint64_t offset = 0;
  for (int i = 0; i < 5; ++i) {
    std::uint64_t length = 0;
    for (int b = 7; b >= 0; --b) length = (length << 8) | static_cast<unsigned char>(content[offset + b]);
    offset += 16 + length;
  }
  content[offset + 12] ^= 0x20;
  spool::testing::write_file(file, content);
  Iterator it = TFRecordDataset({file}).parse_example_batch(spec(), 4).make_iterator();
  EXPECT_EQ(it.next()->operator[]("label").to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 3, 6, 9}));
  try {
    it.next();
    FAIL() << "expected an error";
  } catch (const DataLossError& error) {
    EXPECT_EQ(std::string(error.what()),
              "tfrecord: data crc mismatch in '" + file + "' at record #5 (offset " + std::to_string(offset) + ")");
  }
  EXPECT_FALSE(it.next());
}

TEST(ParseExampleBatch, RefusesElementsThatAreNotSerializedRecords) {
  try {
    spool::testing::drain(Dataset::range(3).parse_example_batch(spec(), 2));
    FAIL() << "expected an error";
  } catch (const InvalidArgument& error) {
    EXPECT_EQ(std::string(error.what()).rfind("parse_example_batch: record #0 is not a 1-D u8 record: ", 0), 0u)
        << error.what();
  }
}

TEST(ParseExampleBatch, ResumesExactly) {
  auto ds = records(11).shuffle(ShuffleOptions().buffer_size(4).seed(2)).parse_example_batch(spec(), 3);
  spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
}

}  // namespace
}  // namespace spool::data
