// spool index: FILE.idx holds exactly the library's index (one "offset size" line
// per record, size = whole frame), for plain and compressed files; a corrupt file
// gets no index.
#include <gtest/gtest.h>

#include <filesystem>

#include "spool/data/io/record_index.h"
#include "test_support.h"
#include "tools/run_spool.h"
#include "tools/test_files.h"

namespace spool::testing {
namespace {

TEST(IndexCommandTest, IdxFileEqualsTheLibraryIndex) {
  TempDir dir;
  const std::string a = dir.file("a.tfrecord");
  const std::string b = dir.file("b.tfrecord.gz");
  const data::RecordIndex frames_a = write_records(a, labelled_examples(5));
  const data::RecordIndex frames_b = write_records(b, labelled_examples(3), data::Compression::kGzip);

  const RunResult r = run_spool({"index", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{a + ".idx: 5 records", b + ".idx: 3 records"}));

  const std::string text_a = read_file(a + ".idx");
  EXPECT_EQ(text_a, frames_a.to_text());
  EXPECT_EQ(text_a, data::RecordIndex::build(a).to_text());
  EXPECT_EQ(data::RecordIndex::load(a + ".idx"), frames_a);
  EXPECT_EQ(read_file(b + ".idx"), frames_b.to_text());

  // The format itself: "offset size" per line, size = 16 + payload bytes.
  std::string expected;
  for (const data::IndexEntry& e : frames_a) expected += std::to_string(e.offset) + " " + std::to_string(e.size) + "\n";
  EXPECT_EQ(text_a, expected);
  EXPECT_EQ(frames_a[1].offset, frames_a[0].size);
}

TEST(IndexCommandTest, ExplicitCompressionAndOverwrite) {
  TempDir dir;
  const std::string path = dir.file("z.tfrecord");
  const data::RecordIndex frames = write_records(path, labelled_examples(2), data::Compression::kZlib);
  write_file(path + ".idx", "stale\n");
  const RunResult r = run_spool({"index", "--compression", "zlib", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(path + ".idx"), frames.to_text());
}

TEST(IndexCommandTest, CorruptFileGetsNoIndex) {
  TempDir dir;
  const std::string path = dir.file("bad.tfrecord");
  const data::RecordIndex frames = write_records(path, labelled_examples(3));
  flip_byte(path, frames[2].offset + 12);
  const RunResult r = run_spool({"index", path});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(lines(r.err).size(), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("spool index: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("offset " + std::to_string(frames[2].offset)), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(path + ".idx"));
  // No temporary file left behind either.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

}  // namespace
}  // namespace spool::testing
