#include "spool/data/io/example.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "example_test_util.h"
#include "spool/tensor/error.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::from_hex;
using spool::testing::hex;

Example mixed_example() {
  Example ex;
  ex.features["b"] = Feature::bytes({"xy"});
  ex.features["f"] = Feature::floats({1.0f});
  ex.features["i"] = Feature::int64s({-1});
  return ex;
}

TEST(ExampleTest, EncodesTheBytesTensorFlowWrites) {
  Example one;
  one.features["a"] = Feature::int64s({1});
  // Example.features{ feature{ key "a" value{ int64_list{ value: [1] } } } }, sizes by hand:
  // Int64List 0a 01 01 (3) < Feature 1a 03 .. (5) < entry 0a 01 'a' 12 05 .. (10)
  // < Features 0a 0a .. (12) < Example 0a 0c .. (14).
  EXPECT_EQ(hex(encode_example(one)), "0a 0c 0a 0a 0a 01 61 12 05 1a 03 0a 01 01");

  // Keys sorted; bytes unpacked; floats packed little-endian; -1 is a 10-byte varint.
  EXPECT_EQ(hex(encode_example(mixed_example())),
            "0a 31 "
            "0a 0b 0a 01 62 12 06 0a 04 0a 02 78 79 "
            "0a 0d 0a 01 66 12 08 12 06 0a 04 00 00 80 3f "
            "0a 13 0a 01 69 12 0e 1a 0c 0a 0a ff ff ff ff ff ff ff ff ff 01");
  EXPECT_EQ(encode_example(Example{}), "");
}

TEST(ExampleTest, EmptyListsKeepTheirKindAndNoKindIsAnEmptyMessage) {
  Example ex;
  ex.features["n"] = Feature{};
  ex.features["e"] = Feature::floats({});
  // "e": Feature{float_list{}} = 12 00; "n": Feature{} has an empty value message.
  EXPECT_EQ(hex(encode_example(ex)), "0a 10 0a 07 0a 01 65 12 02 12 00 0a 05 0a 01 6e 12 00");
  EXPECT_EQ(decode_example(encode_example(ex)), ex);
}

TEST(ExampleTest, RoundTripsEveryKindAndEdgeValue) {
  Example ex;
  ex.features["bytes"] = Feature::bytes({"", std::string("\0\xff", 2), std::string(1000, 'z'), ""});
  ex.features["empty_bytes"] = Feature::bytes({});
  ex.features["empty_int64"] = Feature::int64s({});
  ex.features["floats"] = Feature::floats({0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(),
                                            std::numeric_limits<float>::infinity(),
                                            -std::numeric_limits<float>::infinity(),
                                            std::numeric_limits<float>::denorm_min(), 3.4e38f});
  ex.features["int64"] = Feature::int64s({0, 1, -1, 127, 128, std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::int64_t>::max(), -300});
  ex.features["none"] = Feature{};
  ex.features[""] = Feature::int64s({5});
  const Example back = decode_example(encode_example(ex));
  EXPECT_EQ(back, ex);
  EXPECT_TRUE(std::isnan(back.features.at("floats").float_list[2]));
  EXPECT_TRUE(std::signbit(back.features.at("floats").float_list[1]));
}

TEST(ExampleTest, RoundTripsManyKeysAndBigValues) {
  Example ex;
  for (int i = 0; i < 2000; ++i) {
    ex.features["key/" + std::to_string(i)] = Feature::int64s({i, -i, std::int64_t{i} << 40});
  }
  ex.features["big/bytes"] = Feature::bytes({std::string(1 << 20, 'q')});
  std::vector<float> floats(100000);
  for (std::size_t i = 0; i < floats.size(); ++i) floats[i] = static_cast<float>(i) * 0.5f;
  ex.features["big/floats"] = Feature::floats(floats);
  const std::string encoded = encode_example(ex);
  EXPECT_EQ(decode_example(encoded), ex);
  // Deterministic: equal values give equal bytes.
  EXPECT_EQ(encode_example(decode_example(encoded)), encoded);
}

TEST(ExampleTest, DecodesUnpackedListsUnknownFieldsAndRepeatedKeys) {
  // Written by hand. Example.features appears twice (protobuf merges the maps):
  //   Features{ entry "k": float_list unpacked [1.0, 2.0]; unknown field 5 = 7 }
  //   unknown top-level field 5 = 7, unknown fixed64 field 6
  //   Features{ entry "k": int64_list unpacked [3, 4] + unknown varint field 6 }
  // The later "k" wins.
  const std::string bytes = from_hex(
      "0a 15 0a 11 0a 01 6b 12 0c 12 0a 0d 00 00 80 3f 0d 00 00 00 40 28 07 "
      "28 07 31 01 02 03 04 05 06 07 08 "
      "0a 0f 0a 0d 0a 01 6b 12 08 1a 06 08 03 08 04 30 00");
  const Example ex = decode_example(bytes);
  ASSERT_EQ(ex.features.size(), 1u);
  EXPECT_EQ(ex.features.at("k"), Feature::int64s({3, 4}));

  // Only the first Features message: the unpacked floats.
  const Example first = decode_example(std::string_view(bytes).substr(0, 23));
  EXPECT_EQ(first.features.at("k"), Feature::floats({1.0f, 2.0f}));
}

TEST(ExampleTest, WrongWireTypeForAKnownFieldIsDataLossWithOffset) {
  // Example.features as a varint instead of a message.
  try {
    decode_example(std::string("\x08\x01", 2));
    FAIL() << "expected DataLossError";
  } catch (const DataLossError& e) {
    EXPECT_STREQ(e.what(), "Example: field 1 (map message) has wire type varint, expected length-delimited at offset 0");
  }
  // BytesList.value as fixed32 inside an otherwise valid record.
  Example ex;
  ex.features["b"] = Feature::bytes({"xyzw"});
  std::string record = encode_example(ex);
  const std::size_t at = record.find("\x0a\x04xyzw");
  ASSERT_NE(at, std::string::npos);
  record[at] = 0x0d;  // field 1, fixed32: the 4 payload bytes now parse as a float
  try {
    decode_example(record);
    FAIL() << "expected DataLossError";
  } catch (const DataLossError& e) {
    EXPECT_EQ(std::string(e.what()), "Example: field 1 (BytesList.value) has wire type fixed32, expected "
                                     "length-delimited at offset " + std::to_string(at));
  }
}

TEST(ExampleTest, EveryTruncationOfAnExampleIsDataLossNamingAnOffset) {
  // The encoding is one top-level field, so no proper non-empty prefix is a valid
  // message: every one must throw, and the empty prefix is the empty Example.
  Example ex = mixed_example();
  ex.features["z"] = Feature::floats({1, 2, 3});
  const std::string full = encode_example(ex);
  EXPECT_EQ(decode_example(std::string_view(full.data(), 0)), Example{});
  for (std::size_t n = 1; n < full.size(); ++n) {
    try {
      decode_example(std::string_view(full.data(), n));
      ADD_FAILURE() << "prefix of " << n << " bytes decoded";
    } catch (const DataLossError& e) {
      EXPECT_NE(std::string(e.what()).find(" at offset "), std::string::npos) << e.what();
    }
  }
}

TEST(ExampleTest, PackedFloatsOfWrongLengthAreRejected) {
  // FloatList packed payload of 3 bytes.
  const std::string bytes("\x0a\x0c\x0a\x0a\x0a\x01" "f" "\x12\x05\x12\x03\x0a\x01\x00", 14);
  try {
    decode_example(bytes);
    FAIL();
  } catch (const DataLossError& e) {
    EXPECT_STREQ(e.what(), "Example: packed FloatList of 1 bytes, not a multiple of 4 at offset 13");
  }
}

TEST(ExampleTest, ArbitraryMutationsNeverCrash) {
  Example ex = mixed_example();
  ex.features["list"] = Feature::int64s({1, 1000, -5});
  const std::string good = encode_example(ex);
  std::uint32_t state = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string bad = good;
    state = state * 1664525u + 1013904223u;
    const int flips = 1 + static_cast<int>(state >> 29);
    for (int k = 0; k < flips; ++k) {
      state = state * 1664525u + 1013904223u;
      bad[(state >> 8) % bad.size()] = static_cast<char>(state >> 24);
    }
    try {
      decode_example(bad);
    } catch (const DataLossError&) {
    }
  }
}


// --- Files written by TensorFlow tools (see /work/shared/data/README.md) ---

std::string tfrecord_path(const std::string& name) {
  const std::filesystem::path dir = spool::testing::shared_data_dir();
  return dir.empty() ? "" : (dir / "tfrecord" / name).string();
}

// key -> "kind count", as MANIFEST.json lists the first record.
std::map<std::string, std::string> summary(const std::string& record) {
  std::map<std::string, std::string> out;
  for_each_feature(record, [&](std::string_view key, const FeatureView& f) {
    out[std::string(key)] = std::string(feature_kind_list_name(f.kind())) + " " + std::to_string(f.size());
  });
  return out;
}

TEST(ExampleRealDataTest, TfxMnistFirstRecordMatchesTheManifest) {
  const std::string path = tfrecord_path("tfx_mnist.tfrecord");
  if (path.empty()) GTEST_SKIP() << "shared data folder not found";
  const std::vector<std::string> records = spool::testing::read_raw_frames(path);
  ASSERT_EQ(records.size(), 1000u);
  EXPECT_EQ(summary(records[0]), (std::map<std::string, std::string>{{"image_class", "int64_list 1"},
                                                                     {"image_floats", "float_list 784"}}));
  for (const std::string& record : records) {
    const Example ex = decode_example(record);
    ASSERT_EQ(ex.features.at("image_floats").float_list.size(), 784u);
    const std::int64_t label = ex.features.at("image_class").int64_list.at(0);
    EXPECT_TRUE(label >= 0 && label <= 9) << label;
    // TensorFlow's encoding is the one we produce: same fields, packed, sorted keys.
    EXPECT_EQ(encode_example(ex), record);
  }
}

TEST(ExampleLimitsTest, TooManyFeaturesOrValuesAreRefusedNamingTheKey) {
  Example ex;
  for (int i = 0; i < 5; ++i) ex.features["k" + std::to_string(i)] = Feature::int64s({i});
  ex.features["many"] = Feature::bytes(std::vector<std::string>(100));  // 2 bytes a value on the wire
  const std::string record = encode_example(ex);
  EXPECT_EQ(decode_example(record), ex);
  EXPECT_EQ(decode_example(record, ExampleLimits().max_features(6).max_values(100)), ex);
  try {
    decode_example(record, ExampleLimits().max_features(4));
    ADD_FAILURE() << "5 features passed a limit of 4";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "Example: 5 features at key 'k4', more than ExampleLimits::max_features (4)");
  }
  try {
    decode_example(record, ExampleLimits().max_values(99));
    ADD_FAILURE() << "100 values passed a limit of 99";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "Example: 100 values at key 'many', more than ExampleLimits::max_values (99)");
  }
  EXPECT_THROW(ExampleLimits().max_values(0), InvalidArgument);
}

TEST(ExampleRealDataTest, RaccoonFirstRecordMatchesTheManifest) {
  const std::string path = tfrecord_path("raccoon_test.record");
  if (path.empty()) GTEST_SKIP() << "shared data folder not found";
  const std::vector<std::string> records = spool::testing::read_raw_frames(path);
  ASSERT_EQ(records.size(), 40u);
  EXPECT_EQ(summary(records[0]), (std::map<std::string, std::string>{
                                     {"image/encoded", "bytes_list 1"},
                                     {"image/filename", "bytes_list 1"},
                                     {"image/format", "bytes_list 1"},
                                     {"image/height", "int64_list 1"},
                                     {"image/object/bbox/xmax", "float_list 1"},
                                     {"image/object/bbox/xmin", "float_list 1"},
                                     {"image/object/bbox/ymax", "float_list 1"},
                                     {"image/object/bbox/ymin", "float_list 1"},
                                     {"image/object/class/label", "int64_list 1"},
                                     {"image/object/class/text", "bytes_list 1"},
                                     {"image/source_id", "bytes_list 1"},
                                     {"image/width", "int64_list 1"},
                                 }));
  for (const std::string& record : records) {
    const Example ex = decode_example(record);
    const std::string& jpeg = ex.features.at("image/encoded").bytes_list.at(0);
    ASSERT_GE(jpeg.size(), 2u);
    EXPECT_EQ(jpeg.substr(0, 2), "\xff\xd8");  // JPEG start-of-image
  }
}

TEST(ExampleRealDataTest, TaxiRecordsWithEmptyFeaturesDecode) {
  const std::string path = tfrecord_path("tfx_taxi_eval-00000-of-00012.tfrecord.gz");
  if (path.empty()) GTEST_SKIP() << "shared data folder not found";
  const std::vector<std::string> records = spool::testing::read_raw_frames(path);
  ASSERT_EQ(records.size(), 424u);
  const std::map<std::string, std::string> first = summary(records[0]);
  EXPECT_EQ(first.size(), 18u);
  EXPECT_EQ(first.at("company"), "no kind 0");
  EXPECT_EQ(first.at("pickup_census_tract"), "no kind 0");
  EXPECT_EQ(first.at("payment_type"), "bytes_list 1");
  EXPECT_EQ(first.at("fare"), "float_list 1");
  EXPECT_EQ(first.at("trip_seconds"), "int64_list 1");
  for (const std::string& record : records) EXPECT_EQ(decode_example(record).features.size(), 18u);
}

TEST(ExampleRealDataTest, ElwcPayloadsAreNotExamplesAndNeverCrash) {
  for (const char* name : {"ranking_train_elwc.tfrecord", "ranking_vali_numerical_elwc.tfrecord"}) {
    const std::string path = tfrecord_path(name);
    if (path.empty()) GTEST_SKIP() << "shared data folder not found";
    for (const std::string& record : spool::testing::read_raw_frames(path)) {
      // ELWC field 1 holds whole Examples where an Example holds Features, so the
      // "map entries" are really Features messages: their field 1 (an entry) reads as
      // a garbage key and they have no field 2, so every value is an empty Feature.
      try {
        const Example ex = decode_example(record);
        for (const auto& [key, feature] : ex.features) {
          EXPECT_EQ(feature.kind, FeatureKind::kNone) << name;
          EXPECT_NE(key.find('\n'), std::string::npos) << "key is a serialized entry, tag 0x0a";
        }
      } catch (const DataLossError& e) {
        EXPECT_NE(std::string(e.what()).find(" at offset "), std::string::npos);
      }
    }
  }
}

}  // namespace
}  // namespace spool::data
