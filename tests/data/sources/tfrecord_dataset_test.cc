// TFRecordDataset: file order, the interleaved order of parallel reads against an
// independent model of tf.data's interleave, errors and skips, resumption at every cut,
// cardinality from .idx files, the real TFRecord files, and prompt destruction.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "data/pipeline_test_util.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/sources/list_files.h"
#include "spool/data/sources/tfrecord_dataset.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::drain;
using spool::testing::TempDir;

std::vector<std::string> payloads(const std::vector<Element>& elements) {
  std::vector<std::string> out;
  for (const Element& e : elements) {
    EXPECT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].dtype(), DType::kU8);
    out.emplace_back(e[0].as_string_view());
  }
  return out;
}

std::string payload(std::size_t file, std::size_t record) {
  return "f" + std::to_string(file) + "-r" + std::to_string(record) + std::string(record % 5, 'x');
}

// tf.data's interleave with block_length 1, written from its documented behaviour: the
// cursor visits the places in turn; an empty place takes the next file when visited; a
// file that ends leaves its place empty and the cursor moves on.
std::vector<std::string> interleave_model(const std::vector<std::size_t>& counts, std::size_t cycle) {
  std::vector<std::string> out;
  std::vector<std::optional<std::size_t>> file(cycle);  // file in each place
  std::vector<std::size_t> read(cycle, 0);
  std::size_t next_file = 0, cursor = 0, open = 0;
  while (next_file < counts.size() || open > 0) {
    if (!file[cursor]) {
      if (next_file < counts.size()) {
        file[cursor] = next_file++;
        read[cursor] = 0;
        ++open;
        continue;  // visit it now
      }
    } else if (read[cursor] < counts[*file[cursor]]) {
      out.push_back(payload(*file[cursor], read[cursor]++));
    } else {
      file[cursor].reset();
      --open;
    }
    cursor = (cursor + 1) % cycle;
  }
  return out;
}

class TFRecordDatasetTest : public ::testing::Test {
 protected:
  // Writes file k with counts[k] records (payload(k, i)); returns the paths.
  std::vector<std::string> write(const std::vector<std::size_t>& counts, Compression c = Compression::kNone,
                                 bool index = false) {
    std::vector<std::string> files;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      files.push_back(dir_.file("part-" + std::to_string(k) + (c == Compression::kGzip ? ".tfrecord.gz" : ".tfrecord")));
      TFRecordWriter writer(files.back(), WriterOptions().compression(c).write_index(index));
      for (std::size_t i = 0; i < counts[k]; ++i) writer.write(payload(k, i));
      writer.close();
    }
    return files;
  }
  static std::vector<std::string> in_file_order(const std::vector<std::size_t>& counts) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      for (std::size_t i = 0; i < counts[k]; ++i) out.push_back(payload(k, i));
    }
    return out;
  }
  // Flips a payload byte of record `record` of `file` (uncompressed), returns its frame offset.
  static std::uint64_t corrupt(const std::string& file, std::size_t record) {
    std::string bytes = spool::testing::read_file(file);
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < record; ++i) {
      std::uint64_t length = 0;
      for (int b = 7; b >= 0; --b) length = (length << 8) | static_cast<unsigned char>(bytes[offset + b]);
      offset += 16 + length;
    }
    bytes[offset + 12] ^= 0x20;
    spool::testing::write_file(file, bytes);
    return offset;
  }
  TempDir dir_;
};

TEST_F(TFRecordDatasetTest, ReadsFilesInOrderPlainAndGzip) {
  const std::vector<std::size_t> counts = {3, 0, 1, 4};
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    SCOPED_TRACE(std::string(compression_name(c)));
    Dataset ds = TFRecordDataset(write(counts, c));
    EXPECT_EQ(payloads(drain(ds)), in_file_order(counts));
    EXPECT_EQ(payloads(drain(TFRecordDataset(write(counts, c), RecordOptions().compression(c)))), in_file_order(counts));
  }
}

TEST_F(TFRecordDatasetTest, ParallelReadsInterleaveAsTfDataAndYieldTheSameRecords) {
  const std::vector<std::vector<std::size_t>> patterns = {{3, 1, 4, 2}, {0, 0, 2, 5, 0, 1, 3}, {6}, {2, 2, 2}, {}};
  for (const auto& counts : patterns) {
    const std::vector<std::string> files = write(counts);
    for (std::size_t n : {1, 2, 3, 5}) {
      SCOPED_TRACE(::testing::Message() << counts.size() << " files, " << n << " parallel reads");
      const std::vector<std::string> got = payloads(drain(TFRecordDataset(files, {}, static_cast<std::int64_t>(n))));
      EXPECT_EQ(got, interleave_model(counts, n));
      std::vector<std::string> sorted_got = got, all = in_file_order(counts);
      std::sort(sorted_got.begin(), sorted_got.end());
      std::sort(all.begin(), all.end());
      EXPECT_EQ(sorted_got, all);
    }
  }
  // The documented example order for {3, 1, 4, 2} read two at a time.
  EXPECT_EQ(interleave_model({3, 1, 4, 2}, 2),
            (std::vector<std::string>{payload(0, 0), payload(1, 0), payload(0, 1), payload(0, 2), payload(2, 0),
                                      payload(2, 1), payload(3, 0), payload(2, 2), payload(3, 1), payload(2, 3)}));
}

TEST_F(TFRecordDatasetTest, FileNamesFromADatasetGiveTheSameRecords) {
  const std::vector<std::size_t> counts = {2, 3, 1};
  const std::vector<std::string> files = write(counts);
  Dataset ds = TFRecordDataset(list_files(dir_.file("part-*.tfrecord"), /*shuffle=*/false));
  EXPECT_EQ(ds.cardinality(), kUnknownCardinality);
  EXPECT_EQ(payloads(drain(ds)), in_file_order(counts));
  EXPECT_EQ(payloads(drain(TFRecordDataset(file_names(files), {}, 2))), interleave_model(counts, 2));
  EXPECT_THROW(drain(TFRecordDataset(Dataset::range(3))), InvalidArgument);
}

TEST_F(TFRecordDatasetTest, CorruptRecordErrorNamesFileRecordAndOffsetThenMovesToTheNextFile) {
  for (std::int64_t parallel : {1, 2}) {
    SCOPED_TRACE(parallel);
    const std::vector<std::string> files = write({4, 2});
    const std::uint64_t offset = corrupt(files[0], 2);
    Iterator it = TFRecordDataset(files, {}, parallel).make_iterator();
    std::vector<std::string> got;
    std::string error;
    for (;;) {
      try {
        std::optional<Element> e = it.next();
        if (!e) break;
        got.emplace_back((*e)[0].as_string_view());
      } catch (const DataLossError& e) {
        error = e.what();
      }
    }
    EXPECT_EQ(error, "tfrecord: data crc mismatch in '" + files[0] + "' at record #2 (offset " + std::to_string(offset) + ")");
    if (parallel == 1) {
      EXPECT_EQ(got, (std::vector<std::string>{payload(0, 0), payload(0, 1), payload(1, 0), payload(1, 1)}));
    } else {
      EXPECT_EQ(got, (std::vector<std::string>{payload(0, 0), payload(1, 0), payload(0, 1), payload(1, 1)}));
    }
  }
}

// One file read ahead on its own thread (num_parallel_reads 2), handed over in chunks
// of records: every record in order, the records before a corrupt one first, then its
// error, also when the byte budget holds less than a chunk.
TEST_F(TFRecordDatasetTest, ASingleFileReadAheadYieldsEveryRecordThenTheErrorInPlace) {
  const std::vector<std::string> files = write({300});
  for (std::int64_t budget : {0, 100}) {
    SCOPED_TRACE(budget);
    const Dataset ds = TFRecordDataset(files, {}, 2).with_options(Options().max_buffered_bytes(budget));
    EXPECT_EQ(payloads(drain(ds)), in_file_order({300}));
  }
  const std::uint64_t offset = corrupt(files[0], 150);
  Iterator it = TFRecordDataset(files, {}, 2).make_iterator();
  std::vector<std::string> got;
  std::string error;
  try {
    while (std::optional<Element> e = it.next()) got.emplace_back((*e)[0].as_string_view());
  } catch (const DataLossError& e) {
    error = e.what();
  }
  const std::vector<std::string> all = in_file_order({300});
  EXPECT_EQ(got, std::vector<std::string>(all.begin(), all.begin() + 150));
  EXPECT_EQ(error, "tfrecord: data crc mismatch in '" + files[0] + "' at record #150 (offset " + std::to_string(offset) + ")");
  EXPECT_FALSE(it.next());  // the file is abandoned after its error
}

TEST_F(TFRecordDatasetTest, SkippedCorruptRecordsCountInTheStageStats) {
  for (std::int64_t parallel : {1, 3}) {
    SCOPED_TRACE(parallel);
    const std::vector<std::string> files = write({4, 3, 2});
    corrupt(files[0], 1);
    corrupt(files[2], 0);
    int callbacks = 0;
    auto options = RecordOptions().corruption_policy(CorruptionPolicy::kSkipRecord).on_corruption(
        [&callbacks](const CorruptionReport&) { ++callbacks; });
    Iterator it = TFRecordDataset(files, options, parallel).make_iterator();
    EXPECT_EQ(drain(it).size(), 9u - 2u);
    std::int64_t skipped = -1;
    for (const StageStats& s : it.stats().stages) {
      if (s.name == "tfrecord") skipped = s.skipped_errors;
    }
    EXPECT_EQ(skipped, 2);
    EXPECT_EQ(callbacks, 2);
  }
}

TEST_F(TFRecordDatasetTest, MissingFileIsAnIoError) {
  for (std::int64_t parallel : {1, 2}) {
    EXPECT_THROW(drain(TFRecordDataset({dir_.file("absent.tfrecord")}, {}, parallel)), IoError);
  }
  EXPECT_THROW(TFRecordDataset({}, {}, 0), InvalidArgument);
}

TEST_F(TFRecordDatasetTest, ResumesExactlyAtEveryCut) {
  const std::vector<std::size_t> counts = {3, 0, 5, 1, 4};
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    const std::vector<std::string> files = write(counts, c);
    for (std::int64_t parallel : {1, 3}) {
      SCOPED_TRACE(::testing::Message() << compression_name(c) << ", " << parallel << " parallel reads");
      Dataset ds = TFRecordDataset(files, {}, parallel);
      spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
    }
  }
  Dataset repeated = TFRecordDataset(write({2, 3}), {}, 2).repeat(2);
  spool::testing::expect_resumes_exactly(repeated, spool::testing::all_cuts(repeated));
}

// Found by the iterator_state fuzz target's review: a state may name any path, and
// restoring one that names a FIFO waited for a writer forever.
TEST_F(TFRecordDatasetTest, AStateNamingSomethingOtherThanARegularFileIsRefused) {
  const std::vector<std::string> files = write({4});
  for (std::int64_t parallel : {1, 2}) {
    const Dataset ds = TFRecordDataset(files, {}, parallel);
    Iterator it = ds.make_iterator();
    ASSERT_TRUE(it.next());
    const IteratorState state = it.save();
    std::filesystem::rename(files[0], files[0] + ".moved");
    ASSERT_EQ(::mkfifo(files[0].c_str(), 0600), 0);
    try {
      Iterator resumed = ds.make_iterator(state);
      resumed.next();
      ADD_FAILURE() << "a FIFO was reopened";
    } catch (const DataLossError& e) {
      EXPECT_NE(std::string(e.what()).find("names '" + files[0] + "', which is not a regular file"), std::string::npos)
          << e.what();
    }
    std::filesystem::remove(files[0]);
    std::filesystem::rename(files[0] + ".moved", files[0]);
  }
}

TEST_F(TFRecordDatasetTest, CardinalityIsKnownWhenEveryFileHasACompleteIndex) {
  EXPECT_EQ(TFRecordDataset(write({3, 0, 4}, Compression::kNone, /*index=*/true)).cardinality(), 7);
  EXPECT_EQ(TFRecordDataset(std::vector<std::string>{}).cardinality(), 0);
  {
    EXPECT_EQ(TFRecordDataset(write({2, 5}, Compression::kGzip, true)).cardinality(), 7);
  }
  std::vector<std::string> files = write({3, 4}, Compression::kNone, true);
  std::filesystem::remove(files[1] + ".idx");
  EXPECT_EQ(TFRecordDataset(files).cardinality(), kUnknownCardinality);
  // A stale index (the file grew after it was written) does not count.
  files = write({3, 4}, Compression::kNone, true);
  spool::testing::write_file(files[0], spool::testing::read_file(files[0]) + spool::testing::read_file(files[1]));
  EXPECT_EQ(TFRecordDataset(files).cardinality(), kUnknownCardinality);
}

TEST_F(TFRecordDatasetTest, DestroyingAParallelIteratorMidStreamReturnsPromptly) {
  const std::vector<std::string> files = write({3000, 3000, 3000});
  for (std::int64_t budget : {0, 64}) {  // 64 bytes: the reader threads wait on the budget
    SCOPED_TRACE(budget);
    Dataset ds = TFRecordDataset(files, {}, 3).with_options(Options().max_buffered_bytes(budget));
    const auto start = std::chrono::steady_clock::now();
    {
      Iterator it = ds.make_iterator();
      EXPECT_EQ(drain(it, 10).size(), 10u);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the threads fill their queues
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
}

TEST(TFRecordDatasetRealFiles, RecordCountsEqualTheManifest) {
  const std::filesystem::path dir = spool::testing::shared_data_dir() / "tfrecord";
  if (spool::testing::shared_data_dir().empty() || !std::filesystem::exists(dir / "MANIFEST.json")) {
    GTEST_SKIP() << "../shared/data/tfrecord is absent";
  }
  const std::string manifest = spool::testing::read_file((dir / "MANIFEST.json").string());
  // Each file entry has "file": "<name>" before its "records": <count>.
  const std::regex entry(R"re("file":\s*"([^"]+)"[\s\S]*?"records":\s*(\d+))re");
  std::vector<std::string> files;
  std::int64_t total = 0;
  for (auto m = std::sregex_iterator(manifest.begin(), manifest.end(), entry); m != std::sregex_iterator(); ++m) {
    const std::string file = (dir / (*m)[1].str()).string();
    const std::int64_t count = std::stoll((*m)[2].str());
    SCOPED_TRACE(file);
    EXPECT_EQ(static_cast<std::int64_t>(drain(TFRecordDataset({file})).size()), count);
    files.push_back(file);
    total += count;
  }
  ASSERT_EQ(files.size(), 8u);
  EXPECT_EQ(total, 234 + 10500 + 424 + 1000 + 10 + 9 + 3 + 40);
  EXPECT_EQ(static_cast<std::int64_t>(drain(TFRecordDataset(files, {}, 4)).size()), total);
}

}  // namespace
}  // namespace spool::data
