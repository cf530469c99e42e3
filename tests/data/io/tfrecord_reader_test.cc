#include "spool/data/io/tfrecord_reader.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "data/io/tfrecord_test_util.h"
#include "spool/data/io/tfrecord_writer.h"
#include "test_support.h"

namespace spool::data {
namespace {

enum class Via { kPathMapped, kPathBuffered, kTensor, kString, kIstream };
const Via kAllVias[] = {Via::kPathMapped, Via::kPathBuffered, Via::kTensor, Via::kString, Via::kIstream};

// Opens `bytes` the way `via` says; keeps the file or stream alive beside the reader.
struct Opened {
  std::unique_ptr<testing::TempDir> dir;
  std::unique_ptr<std::istringstream> stream;
  std::unique_ptr<TFRecordReader> reader;
};

Opened open_via(Via via, const std::string& bytes, RecordOptions options = {}) {
  Opened o;
  switch (via) {
    case Via::kPathMapped:
    case Via::kPathBuffered:
      o.dir = std::make_unique<testing::TempDir>();
      testing::write_file(o.dir->file("f.tfrecord"), bytes);
      o.reader = std::make_unique<TFRecordReader>(o.dir->file("f.tfrecord"), options.use_mmap(via == Via::kPathMapped));
      break;
    case Via::kTensor:
      o.reader = std::make_unique<TFRecordReader>(TFRecordReader::from_buffer(Tensor::from_bytes(bytes), options));
      break;
    case Via::kString:
      o.reader = std::make_unique<TFRecordReader>(TFRecordReader::from_string(bytes, options));
      break;
    case Via::kIstream:
      o.stream = std::make_unique<std::istringstream>(bytes);
      o.reader = std::make_unique<TFRecordReader>(*o.stream, options);
      break;
  }
  return o;
}

std::string encode(const std::vector<std::string>& records, Compression c) {
  std::ostringstream out;
  TFRecordWriter writer(out, WriterOptions().compression(c));
  for (const auto& r : records) writer.write(r);
  writer.close();
  return out.str();
}

const Compression kWritten[] = {Compression::kNone, Compression::kZlib, Compression::kGzip};

void expect_round_trip(const std::vector<std::string>& records, std::size_t buffer_size = 256 * 1024) {
  for (Compression c : kWritten) {
    const std::string bytes = encode(records, c);
    for (Via via : kAllVias) {
      for (Compression asked : {Compression::kAuto, c}) {
        Opened o = open_via(via, bytes, RecordOptions().compression(asked).buffer_size(buffer_size));
        std::size_t i = 0;
        std::uint64_t offset = 0;
        while (std::optional<Record> r = o.reader->next()) {
          ASSERT_LT(i, records.size());
          ASSERT_EQ(r->view(), records[i]) << "record " << i;
          EXPECT_EQ(r->index, i);
          EXPECT_EQ(r->offset, offset);
          EXPECT_EQ(r->data.dtype(), DType::kU8);
          EXPECT_EQ(r->data.rank(), 1);
          offset += records[i].size() + 16;
          ++i;
        }
        EXPECT_EQ(i, records.size()) << compression_name(c) << " via " << static_cast<int>(via);
        EXPECT_EQ(o.reader->compression(), c);
        EXPECT_FALSE(o.reader->next());  // the end stays the end
        EXPECT_TRUE(o.reader->index_complete());
        EXPECT_EQ(o.reader->index().size(), records.size());
        EXPECT_TRUE(o.reader->corruptions().empty());
      }
    }
  }
}

TEST(TFRecordReader, RoundTripEmptyRecordsAndEmptyFile) {
  expect_round_trip({});
  expect_round_trip({"", "", ""});
  expect_round_trip({"a", "", "hello"});
}

TEST(TFRecordReader, BuildIndexOffReadsTheSameRecordsAndKeepsNoIndex) {
  const std::vector<std::string> records = {"a", "", "hello", std::string(3000, 'x')};
  for (Compression c : kWritten) {
    const std::string bytes = encode(records, c);
    Opened o = open_via(Via::kPathBuffered, bytes, RecordOptions().build_index(false).buffer_size(64));
    std::size_t i = 0;
    while (std::optional<Record> r = o.reader->next()) {
      ASSERT_LT(i, records.size());
      EXPECT_EQ(r->view(), records[i]);
      EXPECT_EQ(r->index, i);
      ++i;
    }
    EXPECT_EQ(i, records.size());
    EXPECT_TRUE(o.reader->index().empty());
    o.reader->seek(0, 0);  // a restart from the top does not start building either
    while (o.reader->next()) {
    }
    EXPECT_TRUE(o.reader->index().empty());
  }
}

TEST(TFRecordReader, RoundTripMebibyteRecords) {
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  expect_round_trip({big, "small", big.substr(1)});
  expect_round_trip({big, "small"}, 4096);  // records far larger than the read buffer
}

TEST(TFRecordReader, RoundTripManySmallRecords) {
  std::vector<std::string> records;
  for (int i = 0; i < 100000; ++i) records.push_back(std::to_string(i * 7919));
  for (Compression c : kWritten) {
    const std::string bytes = encode(records, c);
    for (Via via : {Via::kPathMapped, Via::kPathBuffered, Via::kIstream}) {
      Opened o = open_via(via, bytes, RecordOptions().buffer_size(1000));
      EXPECT_EQ(testutil::read_all(*o.reader), records);
    }
  }
}

TEST(TFRecordReader, RecordsOutliveLaterReadsAndTheReader) {
  const std::vector<std::string> records = {std::string(700, 'a'), std::string(900, 'b'), "c", std::string(1500, 'd')};
  for (Compression c : kWritten) {
    for (Via via : kAllVias) {
      std::vector<Record> kept;
      {
        Opened o = open_via(via, encode(records, c), RecordOptions().buffer_size(1024));
        while (std::optional<Record> r = o.reader->next()) kept.push_back(*r);
      }  // reader, file and stream gone
      ASSERT_EQ(kept.size(), records.size());
      for (std::size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i].view(), records[i]);
    }
  }
}

TEST(TFRecordReader, NextFrameFindsTheBytesNextWouldView) {
  const std::vector<std::string> records = {std::string(700, 'a'), "", "bc", std::string(3000, 'd')};
  for (Compression c : kWritten) {
    for (Via via : kAllVias) {
      Opened o = open_via(via, encode(records, c), RecordOptions().buffer_size(1024));
      std::uint64_t offset = 0;
      for (std::size_t i = 0; i < records.size(); ++i) {
        std::optional<RecordFrame> frame = o.reader->next_frame();
        ASSERT_TRUE(frame) << i;
        const std::shared_ptr<Storage> storage = *frame->storage;  // kept past the next call
        EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(storage->data()) + frame->begin, frame->length),
                  records[i]);
        EXPECT_EQ(frame->index, i);
        EXPECT_EQ(frame->offset, offset);
        EXPECT_EQ(TFRecordReader::make_record(*frame).view(), records[i]);
        offset += records[i].size() + 16;
      }
      EXPECT_FALSE(o.reader->next_frame());
    }
  }
}

// Read buffers are recycled once their records are gone (read_buffer_pool.h): records
// still alive keep theirs, and their bytes stay as read however many buffers the
// reader goes through and takes back meanwhile.
TEST(TFRecordReader, RecycledReadBuffersNeverOverwriteALiveRecord) {
  std::vector<std::string> records(200);
  for (std::size_t i = 0; i < records.size(); ++i) records[i].assign(300 + i % 7, static_cast<char>('a' + i % 26));
  for (Via via : {Via::kPathBuffered, Via::kIstream}) {
    Opened o = open_via(via, encode(records, Compression::kNone), RecordOptions().buffer_size(1024));
    std::vector<std::pair<std::size_t, Record>> kept;  // every 9th record, the rest dropped at once
    std::size_t i = 0;
    while (std::optional<Record> r = o.reader->next()) {
      ASSERT_EQ(r->view(), records[i]);
      if (i % 9 == 0) kept.emplace_back(i, *r);
      ++i;
    }
    EXPECT_EQ(i, records.size());
    for (const auto& [index, record] : kept) EXPECT_EQ(record.view(), records[index]) << "record " << index;
  }
}

TEST(TFRecordReader, MappedRecordsViewTheFileWithoutCopy) {
  const std::string bytes = encode({"abc", "defg"}, Compression::kNone);
  Tensor buffer = Tensor::from_bytes(bytes);
  TFRecordReader reader = TFRecordReader::from_buffer(buffer);
  std::optional<Record> first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data.storage(), buffer.storage());
  EXPECT_EQ(first->data.raw_data(), static_cast<void*>(buffer.data<std::uint8_t>() + 12));
}

TEST(TFRecordReader, ConcatenatedGzipMembersAreReadFully) {
  const std::string two = encode({"one", "two"}, Compression::kGzip) + encode({"three"}, Compression::kGzip);
  for (Via via : kAllVias) {
    Opened o = open_via(via, two);
    EXPECT_EQ(testutil::read_all(*o.reader), (std::vector<std::string>{"one", "two", "three"}));
  }
  const std::string zlib2 = encode({"x"}, Compression::kZlib) + encode({"y"}, Compression::kZlib);
  Opened o = open_via(Via::kString, zlib2);
  EXPECT_EQ(testutil::read_all(*o.reader), (std::vector<std::string>{"x", "y"}));
}

TEST(TFRecordReader, SeekAndReadAtMatchSequentialReading) {
  std::vector<std::string> records;
  for (int i = 0; i < 300; ++i) records.push_back(std::string(static_cast<std::size_t>(i * 13 % 97), 'a' + i % 26));
  for (Compression c : kWritten) {
    for (Via via : kAllVias) {
      Opened o = open_via(via, encode(records, c), RecordOptions().buffer_size(512));
      testutil::read_all(*o.reader);
      const RecordIndex index = o.reader->index();
      ASSERT_EQ(index.size(), records.size());
      for (std::size_t i : {299u, 0u, 150u, 151u, 7u, 298u, 1u, 150u}) {
        Record r = o.reader->read_at(index, i);
        EXPECT_EQ(r.view(), records[i]) << i;
        EXPECT_EQ(r.index, i);
        EXPECT_EQ(r.offset, index[i].offset);
      }
      o.reader->seek(index[200].offset, 200);
      std::optional<Record> r = o.reader->next();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->view(), records[200]);
      EXPECT_EQ(o.reader->next()->index, 201u);
      EXPECT_THROW(o.reader->read_at(index, 300), OutOfRange);
      EXPECT_THROW(o.reader->seek(index.end_offset() + 1, 0), OutOfRange);
      o.reader->seek(0, 0);  // a restart rebuilds the by-product index
      EXPECT_EQ(testutil::read_all(*o.reader), records);
      EXPECT_TRUE(o.reader->index_complete());
      EXPECT_EQ(o.reader->index(), index);
    }
  }
}

TEST(TFRecordReader, StaleIndexIsDataLoss) {
  const std::string bytes = encode({"abc", "de"}, Compression::kNone);
  TFRecordReader reader = TFRecordReader::from_string(bytes);
  const RecordIndex wrong({{0, 19}, {19, 99}});
  EXPECT_EQ(reader.read_at(wrong, 0).view(), "abc");
  EXPECT_THROW(reader.read_at(wrong, 1), DataLossError);
}

TEST(TFRecordReader, MissingFileIsIoError) {
  EXPECT_THROW(TFRecordReader("/nonexistent/x.tfrecord"), IoError);
  EXPECT_THROW(TFRecordReader("/nonexistent/x.tfrecord", RecordOptions().use_mmap(false)), IoError);
  EXPECT_THROW(TFRecordReader::from_string("", RecordOptions().buffer_size(0)), InvalidArgument);
}

// Files written by TensorFlow tools; counts from MANIFEST.json.
TEST(TFRecordReader, ReadsEveryFileTensorFlowWrote) {
  const auto dir = testing::shared_data_dir();
  if (dir.empty()) GTEST_SKIP() << "shared data folder not found (set SPOOL_SHARED_DATA)";
  const std::string manifest = testing::read_file((dir / "tfrecord" / "MANIFEST.json").string());
  const std::regex entry("\"file\": \"([^\"]+)\"[^{}]*?\"compression\": \"([A-Za-z]*)\"[^{}]*?\"records\": ([0-9]+)");
  int files = 0;
  for (auto it = std::sregex_iterator(manifest.begin(), manifest.end(), entry); it != std::sregex_iterator(); ++it) {
    const std::string path = (dir / "tfrecord" / (*it)[1].str()).string();
    const Compression declared = parse_compression((*it)[2].str());
    const std::uint64_t count = std::stoull((*it)[3].str());
    for (Compression asked : {Compression::kAuto, declared}) {
      for (bool mmap : {true, false}) {
        TFRecordReader reader(path, RecordOptions().compression(asked).use_mmap(mmap));
        std::uint64_t n = 0;
        while (reader.next()) ++n;  // every CRC is checked on the way
        EXPECT_EQ(n, count) << path;
        EXPECT_EQ(reader.compression(), declared) << path;
        EXPECT_EQ(reader.index().size(), count);
      }
    }
    ++files;
  }
  EXPECT_EQ(files, 8);
}

std::uint64_t free_bytes(const std::string& path) {
  struct statvfs st {};
  return ::statvfs(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize : 0;
}

// Above 4 GiB: offsets must be 64-bit all the way. Slow: needs SPOOL_LARGE_TESTS=1.
TEST(TFRecordReader, LargeFileAbove4GiB) {
  const char* flag = std::getenv("SPOOL_LARGE_TESTS");
  if (flag == nullptr || std::string(flag) != "1") GTEST_SKIP() << "set SPOOL_LARGE_TESTS=1 to write a 4.1 GiB file";
  testing::TempDir dir;
  constexpr std::uint64_t kRecord = 64ull << 20;
  constexpr int kRecords = 65;
  if (free_bytes(dir.path().string()) < kRecords * kRecord + (512ull << 20)) {
    GTEST_SKIP() << "not enough free disk space under " << dir.path();
  }
  const std::string path = dir.file("large.tfrecord");
  std::string payload(kRecord, '\0');
  auto fill = [&](int i) {
    for (std::size_t k = 0; k < payload.size(); k += 4096) payload[k] = static_cast<char>(i + k / 4096);
  };
  {
    TFRecordWriter writer(path, WriterOptions().write_index(true));
    for (int i = 0; i < kRecords; ++i) {
      fill(i);
      writer.write(payload);
    }
    writer.close();
  }
  fill(kRecords - 1);
  for (bool mmap : {true, false}) {
    TFRecordReader reader(path, RecordOptions().use_mmap(mmap));
    std::optional<Record> last;
    while (std::optional<Record> r = reader.next()) last = std::move(r);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->index, kRecords - 1u);
    EXPECT_GT(last->offset, 1ull << 32);
    EXPECT_EQ(last->offset, (kRecords - 1) * (kRecord + 16));
    EXPECT_TRUE(last->view() == payload);
    const RecordIndex index = RecordIndex::load(path + ".idx");
    EXPECT_EQ(index, reader.index());
    EXPECT_TRUE(reader.read_at(index, kRecords - 1).view() == payload);
  }
}

}  // namespace
}  // namespace spool::data
