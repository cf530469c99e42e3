#include "spool/data/io/record_index.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "data/io/tfrecord_test_util.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "test_support.h"

namespace spool::data {
namespace {

std::vector<std::string> sample_records() {
  std::vector<std::string> records;
  for (int i = 0; i < 50; ++i) records.push_back(std::string(static_cast<std::size_t>(i * 31 % 200), 'a' + i % 26));
  return records;
}

std::string write_sample(const testing::TempDir& dir, Compression c = Compression::kNone) {
  const std::string path = dir.file(std::string("s.tfrecord") + (c == Compression::kGzip ? ".gz" : ""));
  TFRecordWriter writer(path, WriterOptions().compression(c));
  for (const auto& r : sample_records()) writer.write(r);
  writer.close();
  return path;
}

TEST(RecordIndex, BuildMatchesTheFrames) {
  testing::TempDir dir;
  const std::string path = write_sample(dir);
  const RecordIndex index = RecordIndex::build(path);
  ASSERT_EQ(index.size(), 50u);
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < index.size(); ++i) {
    EXPECT_EQ(index[i].offset, offset);
    EXPECT_EQ(index[i].payload_size(), sample_records()[i].size());
    offset += index[i].size;
  }
  EXPECT_EQ(index.end_offset(), std::filesystem::file_size(path));
}

TEST(RecordIndex, SaveLoadRoundTripInDaliFormat) {
  testing::TempDir dir;
  const std::string path = write_sample(dir);
  const RecordIndex index = RecordIndex::build(path);
  index.save(RecordIndex::default_path(path));
  EXPECT_EQ(RecordIndex::default_path(path), path + ".idx");
  const std::string text = testing::read_file(path + ".idx");
  EXPECT_EQ(text.substr(0, text.find('\n', text.find('\n') + 1) + 1),
            "0 16\n16 " + std::to_string(16 + sample_records()[1].size()) + "\n");
  EXPECT_EQ(text, index.to_text());
  EXPECT_EQ(RecordIndex::load(path + ".idx"), index);
  RecordIndex empty;
  empty.save(dir.file("empty.idx"));
  EXPECT_TRUE(RecordIndex::load(dir.file("empty.idx")).empty());
}

TEST(RecordIndex, ByProductIndexEqualsTheBuiltOne) {
  testing::TempDir dir;
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    const std::string path = write_sample(dir, c);
    TFRecordReader reader(path);
    EXPECT_FALSE(reader.index_complete());
    std::size_t n = 0;
    while (reader.next()) {
      ++n;
      EXPECT_EQ(reader.index().size(), n);
    }
    EXPECT_TRUE(reader.index_complete());
    EXPECT_EQ(reader.index(), RecordIndex::build(path));
  }
}

TEST(RecordIndex, RandomAccessEqualsSequential) {
  testing::TempDir dir;
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    const std::string path = write_sample(dir, c);
    const RecordIndex index = RecordIndex::build(path);
    const auto records = sample_records();
    for (bool mmap : {true, false}) {
      TFRecordReader reader(path, RecordOptions().use_mmap(mmap));
      for (std::size_t i : {49u, 3u, 3u, 0u, 25u, 24u, 48u}) EXPECT_EQ(reader.read_at(index, i).view(), records[i]);
      EXPECT_FALSE(reader.index_complete());
    }
  }
}

void expect_load_error(const std::string& text, const std::string& fragment) {
  testing::TempDir dir;
  const std::string path = dir.file("bad.idx");
  testing::write_file(path, text);
  try {
    RecordIndex::load(path);
    ADD_FAILURE() << "no error for " << text;
  } catch (const DataLossError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + path + "' " + fragment), std::string::npos) << e.what();
  }
}

TEST(RecordIndex, LoadIsStrict) {
  expect_load_error("0 16\nabc 16\n", "line 2: expected \"<offset> <size>\", found 'abc 16'");
  expect_load_error("0 16\n16\n", "line 2:");
  expect_load_error("0 16 7\n", "line 1:");
  expect_load_error("0 -16\n", "line 1:");
  expect_load_error("0 15\n", "line 1: frame size 15 is below the 16-byte minimum");
  expect_load_error("0 20\n10 16\n", "line 2: frame at offset 10 overlaps the previous frame [0, 20)");
  expect_load_error("32 16\n0 16\n", "line 2: frame at offset 0 overlaps");
  expect_load_error("0 16\n\n", "line 2:");
  expect_load_error("99999999999999999999 16\n", "line 1:");
  EXPECT_THROW(RecordIndex::load("/nonexistent/x.idx"), IoError);
}

TEST(RecordIndex, ConstructionAndAppendValidate) {
  EXPECT_THROW(RecordIndex({{0, 20}, {19, 16}}), InvalidArgument);
  RecordIndex index({{0, 16}, {100, 20}});  // gaps are fine: skipped corrupt bytes
  EXPECT_THROW(index.append({110, 16}), InvalidArgument);
  index.append({120, 16});
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.end_offset(), 136u);
  EXPECT_THROW(index.at(3), OutOfRange);
}

}  // namespace
}  // namespace spool::data
