// Following a file still being written: a streaming TFRecordWriter in another thread
// flushes records while a reader with RecordOptions().follow(true) reads them, and the
// reader (and a pipeline over it) ends when the writer closes; a writer that dies
// mid-record leaves a cut record reported as corruption; a producer that takes no
// lock is followed until it has been idle for follow_idle_timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "data/io/tfrecord_test_util.h"
#include "spool/data/io/growing_file.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/sources/tfrecord_dataset.h"
#include "test_support.h"

namespace spool::data {
namespace {

using namespace std::chrono_literals;

std::string record(int i) { return "record " + std::to_string(i) + std::string(static_cast<std::size_t>(i * 37 % 300), 'x'); }

// Writes `count` records to a streaming writer at `path`, flushing each, with short
// pauses, then closes; `closed` turns true as close() is called (a reader may see the
// file unlocked, and end, before close() returns).
std::thread produce(const std::string& path, Compression c, int count, std::atomic<bool>& closed) {
  auto writer = std::make_shared<TFRecordWriter>(path, WriterOptions().streaming(true).compression(c));
  return std::thread([writer, count, &closed] {
    for (int i = 0; i < count; ++i) {
      writer->write(record(i));
      writer->flush();
      if (i % 8 == 7) std::this_thread::sleep_for(3ms);
    }
    closed = true;
    writer->close();
  });
}

TEST(TFRecordFollowTest, ReadsRecordsAsTheyAreFlushedAndEndsWhenTheWriterCloses) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZlib}) {
    testing::TempDir dir;
    const std::string path = dir.file("stream.tfrecord");
    std::atomic<bool> closed{false};
    std::thread producer = produce(path, c, 64, closed);
    TFRecordReader reader(path, RecordOptions().follow(true).use_mmap(true).buffer_size(4096));
    std::vector<std::string> got;
    bool read_while_open = false;
    while (std::optional<Record> r = reader.next()) {
      if (got.empty()) read_while_open = !closed;
      got.emplace_back(r->view());
    }
    const bool ended_after_close = closed;
    producer.join();
    ASSERT_EQ(got.size(), 64u) << compression_name(c);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(got[i], record(i));
    EXPECT_TRUE(reader.corruptions().empty());
    EXPECT_TRUE(read_while_open) << "the first record came only after the writer closed";
    EXPECT_TRUE(ended_after_close) << "the reader ended before the writer closed";
  }
}

TEST(TFRecordFollowTest, APipelineOverAStreamEndsWithTheProducer) {
  testing::TempDir dir;
  const std::string path = dir.file("stream.tfrecord");
  std::atomic<bool> closed{false};
  std::thread producer = produce(path, Compression::kGzip, 50, closed);
  Iterator it = TFRecordDataset({path}, RecordOptions().follow(true)).prefetch(4).make_iterator();
  int count = 0;
  while (std::optional<Element> e = it.next()) {
    EXPECT_EQ((*e)[0].as_string_view(), record(count));
    ++count;
  }
  EXPECT_TRUE(closed);
  producer.join();
  EXPECT_EQ(count, 50);
}

TEST(TFRecordFollowTest, AWriterThatDiesMidRecordLeavesACutRecord) {
  testing::TempDir dir;
  const std::string path = dir.file("cut.tfrecord");
  const std::string bytes = testutil::frames({"whole", "cut short"});
  {
    detail::GrowingFile file(path);
    file.write(bytes.data(), bytes.size() - 5);
  }  // destroyed without close(), as a killed writer: the lock goes, the tail stays
  TFRecordReader reader(path, RecordOptions().follow(true).name("cut.tfrecord"));
  ASSERT_TRUE(reader.next());
  try {
    reader.next();
    ADD_FAILURE() << "a cut record was read";
  } catch (const DataLossError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated record in '" + path + "' at record #1"), std::string::npos)
        << e.what();
  }
}

TEST(TFRecordFollowTest, AProducerWithoutTheLockIsFollowedUntilIdle) {
  testing::TempDir dir;
  const std::string path = dir.file("foreign.tfrecord");
  const std::string bytes = testutil::frames({"a", "bb", "ccc", "dddd"});
  std::ofstream(path, std::ios::binary) << bytes.substr(0, 20);
  std::thread producer([&] {
    for (std::size_t at = 20; at < bytes.size(); at += 7) {
      std::this_thread::sleep_for(20ms);
      std::ofstream(path, std::ios::binary | std::ios::app) << bytes.substr(at, 7);
    }
  });
  TFRecordReader reader(path, RecordOptions().follow(true).follow_idle_timeout(400ms));
  EXPECT_EQ(testutil::read_all(reader), (std::vector<std::string>{"a", "bb", "ccc", "dddd"}));
  producer.join();
  // Without an idle time, the end of the file as it is now is the end.
  TFRecordReader at_once(path, RecordOptions().follow(true));
  EXPECT_EQ(testutil::read_all(at_once).size(), 4u);
}

}  // namespace
}  // namespace spool::data
