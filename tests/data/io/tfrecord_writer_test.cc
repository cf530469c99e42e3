#include "spool/data/io/tfrecord_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "data/io/tfrecord_test_util.h"
#include "spool/data/io/tfrecord_reader.h"
#include "test_support.h"

namespace spool::data {
namespace {

using testutil::frame;

std::string write_to_string(const std::vector<std::string>& records, WriterOptions options = {}) {
  std::ostringstream out;
  TFRecordWriter writer(out, options);
  for (const auto& r : records) writer.write(r);
  writer.close();
  return out.str();
}

TEST(TFRecordWriter, ByteExactFrames) {
  // A frame of length 5, pinned by hand: length 05 00.. and both CRCs from crc32c+mask.
  std::string hello;
  hello += std::string("\x05\x00\x00\x00\x00\x00\x00\x00", 8);
  const std::uint32_t length_crc = mask_crc(crc32c(std::string_view("\x05\x00\x00\x00\x00\x00\x00\x00", 8)));
  const std::uint32_t data_crc = mask_crc(crc32c(std::string_view("hello")));
  for (int i = 0; i < 4; ++i) hello.push_back(static_cast<char>(length_crc >> (8 * i)));
  hello += "hello";
  for (int i = 0; i < 4; ++i) hello.push_back(static_cast<char>(data_crc >> (8 * i)));
  ASSERT_EQ(hello, frame("hello"));
  EXPECT_EQ(mask_crc(0), 0xa282ead8u);  // the mask is the one TensorFlow uses

  const std::string bytes = write_to_string({"a", "", "hello"});
  EXPECT_EQ(bytes.size(), 17u + 16u + 21u);
  EXPECT_EQ(bytes, frame("a") + frame("") + hello);
}

TEST(TFRecordWriter, CountsAndIndex) {
  std::ostringstream out;
  TFRecordWriter writer(out);
  writer.write("abc");
  writer.write(Tensor::from_bytes("defgh"));
  writer.write(Tensor::from_vector<float>({1.0f, 2.0f}));  // any dtype: its bytes
  EXPECT_EQ(writer.records_written(), 3u);
  EXPECT_EQ(writer.payload_bytes_written(), 3u + 5u + 8u);
  EXPECT_EQ(writer.bytes_written(), 3u + 5u + 8u + 3u * 16u);
  EXPECT_EQ(writer.index().entries(), (std::vector<IndexEntry>{{0, 19}, {19, 21}, {40, 24}}));
  writer.close();
  EXPECT_EQ(out.str().size(), writer.bytes_written());
  EXPECT_THROW(writer.write("late"), IoError);
  writer.close();  // idempotent
}

TEST(TFRecordWriter, CompressedStreamsDecompressToThePlainBytes) {
  const std::vector<std::string> records = {"a", "", "hello", std::string(100000, 'x')};
  const std::string plain = write_to_string(records);
  for (Compression c : {Compression::kZlib, Compression::kGzip}) {
    for (int level : {-1, 0, 1, 9}) {
      const std::string packed = write_to_string(records, WriterOptions().compression(c).compression_level(level));
      ASSERT_EQ(detect_compression({reinterpret_cast<const std::byte*>(packed.data()), packed.size()}), c);
      TFRecordReader reader = TFRecordReader::from_string(packed, RecordOptions().compression(c));
      EXPECT_EQ(testutil::read_all(reader), records) << compression_name(c) << " level " << level;
    }
  }
}

TEST(TFRecordWriter, FlushMakesWholeRecordsVisible) {
  for (Compression c : {Compression::kNone, Compression::kZlib, Compression::kGzip}) {
    std::ostringstream out;
    TFRecordWriter writer(out, WriterOptions().compression(c));
    writer.write("first");
    writer.write("second");
    writer.flush();
    // The stream is not finished, but everything written so far can be read back.
    std::istringstream in(out.str());
    TFRecordReader reader(in, RecordOptions().compression(c).corruption_policy(CorruptionPolicy::kSkipFile));
    EXPECT_EQ(testutil::read_all(reader), (std::vector<std::string>{"first", "second"})) << compression_name(c);
    writer.close();
  }
}

TEST(TFRecordWriter, RejectsBadOptions) {
  std::ostringstream out;
  EXPECT_THROW(TFRecordWriter(out, WriterOptions().compression(Compression::kAuto)), InvalidArgument);
  EXPECT_THROW(TFRecordWriter(out, WriterOptions().compression(Compression::kGzip).compression_level(10)),
               InvalidArgument);
  EXPECT_THROW(TFRecordWriter(out, WriterOptions().buffer_size(0)), InvalidArgument);
  EXPECT_THROW(TFRecordWriter(out, WriterOptions().write_index(true)), InvalidArgument);
  EXPECT_THROW(TFRecordWriter("/nonexistent-folder/x.tfrecord"), IoError);
}

TEST(TFRecordWriter, FileAppearsOnlyAtClose) {
  testing::TempDir dir;
  const std::string path = dir.file("out.tfrecord");
  TFRecordWriter writer(path);
  writer.write("hello");
  writer.flush();
  EXPECT_FALSE(std::filesystem::exists(path));
  writer.close();
  EXPECT_EQ(testing::read_file(path), frame("hello"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temporary left
}

TEST(TFRecordWriter, DestructorCommitsButNotWhileUnwinding) {
  testing::TempDir dir;
  {
    TFRecordWriter writer(dir.file("kept.tfrecord"));
    writer.write("x");
  }
  EXPECT_EQ(testing::read_file(dir.file("kept.tfrecord")), frame("x"));
  try {
    TFRecordWriter writer(dir.file("dropped.tfrecord"));
    writer.write("x");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("dropped.tfrecord")));
  {
    TFRecordWriter writer(dir.file("discarded.tfrecord"));
    writer.write("x");
    writer.discard();
    EXPECT_FALSE(writer.is_open());
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("discarded.tfrecord")));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(TFRecordWriter, WritesTheIndexSidecar) {
  testing::TempDir dir;
  const std::string path = dir.file("with.tfrecord");
  TFRecordWriter writer(path, WriterOptions().write_index(true));
  writer.write("a");
  writer.write("hello");
  writer.close();
  EXPECT_EQ(testing::read_file(path + ".idx"), "0 17\n17 21\n");
  EXPECT_EQ(RecordIndex::load(path + ".idx"), RecordIndex::build(path));
}

TEST(TFRecordWriter, LargeRecordsBypassTheStagingBuffer) {
  const std::vector<std::string> records = {"s", std::string(3000, 'L'), "t", std::string(10, 'm')};
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    const std::string bytes = write_to_string(records, WriterOptions().compression(c).buffer_size(64));
    TFRecordReader reader = TFRecordReader::from_string(bytes);
    EXPECT_EQ(testutil::read_all(reader), records);
    if (c == Compression::kNone) {
      EXPECT_EQ(bytes, testutil::frames(records));
    }
  }
}

}  // namespace
}  // namespace spool::data
