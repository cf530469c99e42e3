#include "spool/data/io/compression.h"

#include <gtest/gtest.h>

#include "data/io/tfrecord_test_util.h"
#include "spool/data/io/tfrecord_reader.h"

namespace spool::data {
namespace {

std::span<const std::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST(Compression, ParsesOurNamesAndTensorFlows) {
  EXPECT_EQ(parse_compression("auto"), Compression::kAuto);
  EXPECT_EQ(parse_compression("none"), Compression::kNone);
  EXPECT_EQ(parse_compression(""), Compression::kNone);
  EXPECT_EQ(parse_compression("ZLIB"), Compression::kZlib);
  EXPECT_EQ(parse_compression("zlib"), Compression::kZlib);
  EXPECT_EQ(parse_compression("GZIP"), Compression::kGzip);
  EXPECT_EQ(parse_compression("Gzip"), Compression::kGzip);
  for (Compression c : {Compression::kAuto, Compression::kNone, Compression::kZlib, Compression::kGzip}) {
    EXPECT_EQ(parse_compression(compression_name(c)), c);
  }
}

TEST(Compression, RejectsUnknownNames) {
  try {
    parse_compression("bzip2");
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'bzip2'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_compression("gz"), InvalidArgument);
  EXPECT_THROW(parse_compression(" none"), InvalidArgument);
}

TEST(Compression, DetectsFromTheFirstBytes) {
  const std::string plain = testutil::frames({"abc", "defg"});
  EXPECT_EQ(detect_compression(bytes_of(plain)), Compression::kNone);
  EXPECT_EQ(detect_compression(bytes_of(testutil::compress(plain, Compression::kGzip))), Compression::kGzip);
  EXPECT_EQ(detect_compression(bytes_of(testutil::compress(plain, Compression::kZlib))), Compression::kZlib);
  for (int level : {0, 1, 9}) {
    EXPECT_EQ(detect_compression(bytes_of(testutil::compress(plain, Compression::kZlib, level))), Compression::kZlib);
  }
  EXPECT_EQ(detect_compression({}), Compression::kNone);
  EXPECT_EQ(detect_compression(bytes_of("garbage!")), Compression::kNone);  // the reader then reports it
}

// A record of 376 (0x0178) bytes starts the file with 78 01, a valid zlib header.
TEST(Compression, PlainFileThatLooksLikeZlibStaysPlain) {
  const std::string plain = testutil::frames({std::string(0x0178, 'z'), "tail"});
  ASSERT_EQ(static_cast<unsigned char>(plain[0]), 0x78);
  ASSERT_EQ(static_cast<unsigned char>(plain[1]), 0x01);
  ASSERT_EQ((0x78 * 256 + 0x01) % 31, 0);
  EXPECT_EQ(detect_compression(bytes_of(plain)), Compression::kNone);
  TFRecordReader reader = TFRecordReader::from_string(plain);
  EXPECT_EQ(reader.compression(), Compression::kNone);
  EXPECT_EQ(testutil::read_all(reader), (std::vector<std::string>{std::string(0x0178, 'z'), "tail"}));
}

}  // namespace
}  // namespace spool::data
