// spool verify: a sound file exits 0 with its summary; a flipped byte exits 1 with
// the exact "FILE: record #I at offset O: WHAT" line; --all reports every problem
// and the totals.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.h"
#include "tools/run_spool.h"
#include "tools/test_files.h"

namespace spool::testing {
namespace {

constexpr std::uint64_t kHeader = 12;  // a payload starts this far into its frame

TEST(VerifyCommandTest, SoundFilesExitZero) {
  TempDir dir;
  const std::string a = dir.file("a.tfrecord");
  const std::string b = dir.file("b.tfrecord.gz");
  const std::string empty = dir.file("empty.tfrecord");
  write_records(a, labelled_examples(3));
  write_records(b, labelled_examples(5), data::Compression::kGzip);
  write_records(empty, {});
  const RunResult r = run_spool({"verify", a, b, empty});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{a + ": ok, 3 records, compression none",
                                                    b + ": ok, 5 records, compression gzip",
                                                    empty + ": ok, 0 records, compression none"}));
}

// The corruption matrix: which byte of which frame is flipped, and what verify says.
struct Flip {
  std::size_t record;
  std::uint64_t byte_in_frame;
  std::string what;
};

TEST(VerifyCommandTest, FlippedByteIsReportedExactly) {
  const std::vector<Flip> flips = {
      {0, 0, "length crc mismatch"},              // length
      {1, 9, "length crc mismatch"},              // the length's crc
      {2, kHeader + 3, "data crc mismatch"},      // payload
      {3, kHeader + 1000, "data crc mismatch"},   // the data crc itself (payloads are shorter)
  };
  for (const Flip& flip : flips) {
    TempDir dir;
    const std::string path = dir.file("bad.tfrecord");
    const data::RecordIndex frames = write_records(path, labelled_examples(4));
    const std::uint64_t at = std::min(frames[flip.record].offset + flip.byte_in_frame,
                                      frames[flip.record].offset + frames[flip.record].size - 1);
    flip_byte(path, at);
    const RunResult r = run_spool({"verify", path});
    SCOPED_TRACE("byte " + std::to_string(at));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, path + ": record #" + std::to_string(flip.record) + " at offset " +
                         std::to_string(frames[flip.record].offset) + ": " + flip.what + "\n");
  }
}

TEST(VerifyCommandTest, TruncatedFile) {
  TempDir dir;
  const std::string path = dir.file("short.tfrecord");
  const data::RecordIndex frames = write_records(path, labelled_examples(2));
  const std::string bytes = read_file(path);
  write_file(path, bytes.substr(0, bytes.size() - 3));
  const RunResult r = run_spool({"verify", path});
  EXPECT_EQ(r.exit_code, 1);
  const std::uint64_t payload = frames[1].payload_size();
  EXPECT_EQ(r.out, path + ": record #1 at offset " + std::to_string(frames[1].offset) + ": truncated record: expected " +
                       std::to_string(payload) + " data + 4 crc bytes after the header, " +
                       std::to_string(payload + 1) + " there\n");
}

TEST(VerifyCommandTest, StopsAtTheFirstBadFile) {
  TempDir dir;
  const std::string good = dir.file("good.tfrecord");
  const std::string bad = dir.file("bad.tfrecord");
  const std::string never = dir.file("never.tfrecord");
  write_records(good, labelled_examples(2));
  const data::RecordIndex frames = write_records(bad, labelled_examples(3));
  write_records(never, labelled_examples(1));
  flip_byte(bad, frames[0].offset + kHeader);
  const RunResult r = run_spool({"verify", good, bad, never});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{good + ": ok, 2 records, compression none",
                                                    bad + ": record #0 at offset 0: data crc mismatch"}));
}

TEST(VerifyCommandTest, AllReportsEveryProblemAndTotals) {
  TempDir dir;
  const std::string good = dir.file("good.tfrecord");
  const std::string bad = dir.file("bad.tfrecord");
  write_records(good, labelled_examples(2));
  const data::RecordIndex frames = write_records(bad, labelled_examples(6));
  flip_byte(bad, frames[1].offset + kHeader + 1);  // data crc: the frame is skipped whole
  flip_byte(bad, frames[4].offset + 2);            // length crc: resynchronised on #5
  const RunResult r = run_spool({"verify", "--all", bad, good});
  EXPECT_EQ(r.exit_code, 1);
  // Record indices count good records, so the second problem would have been #3.
  EXPECT_EQ(lines(r.out),
            (std::vector<std::string>{
                bad + ": record #1 at offset " + std::to_string(frames[1].offset) + ": data crc mismatch",
                bad + ": record #3 at offset " + std::to_string(frames[4].offset) + ": length crc mismatch",
                bad + ": 2 problems, 4 good records, compression none",
                good + ": ok, 2 records, compression none",
                "total: 2 files, 6 good records, 2 problems",
            }));
}

TEST(VerifyCommandTest, AllOnSoundFilesPrintsTotals) {
  TempDir dir;
  const std::string path = dir.file("z.tfrecord");
  write_records(path, labelled_examples(3), data::Compression::kZlib);
  const RunResult r = run_spool({"verify", "--all", "--compression", "zlib", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{path + ": ok, 3 records, compression zlib",
                                                    "total: 1 files, 3 good records, 0 problems"}));
}

TEST(VerifyCommandTest, CorruptGzipStreamIsReported) {
  TempDir dir;
  const std::string path = dir.file("c.gz");
  write_records(path, labelled_examples(50), data::Compression::kGzip);
  const std::string bytes = read_file(path);
  write_file(path, bytes.substr(0, bytes.size() / 2));  // cut the deflate stream short
  const RunResult r = run_spool({"verify", "--all", path});
  EXPECT_EQ(r.exit_code, 1);
  const std::vector<std::string> out = lines(r.out);
  ASSERT_GE(out.size(), 3u) << r.out;
  EXPECT_EQ(out[0].rfind(path + ": record #", 0), 0u) << out[0];
  EXPECT_EQ(out.back().rfind("total: 1 files, ", 0), 0u) << out.back();
  EXPECT_EQ(out.back().substr(out.back().size() - 10), "1 problems") << out.back();
}

}  // namespace
}  // namespace spool::testing
