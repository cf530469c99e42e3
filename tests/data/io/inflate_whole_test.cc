#include "spool/data/io/inflate_whole.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "data/io/tfrecord_test_util.h"
#include "test_support.h"

namespace spool::data {
namespace {

std::span<const std::byte> whole_bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::string text_of(const detail::OwnedBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.storage->data()), b.size);
}

// Compressible, but not a single run: about 3:1 under deflate.
std::string sample(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& ch : s) ch = "abcdefgh 0123"[rng() % 13];
  return s;
}

TEST(InflateWhole, GivesZlibsBytesForOneOrSeveralStreams) {
  const std::string a = sample(300000, 1);
  const std::string b = sample(1000, 2);
  for (const Compression c : {Compression::kGzip, Compression::kZlib}) {
    SCOPED_TRACE(std::string(compression_name(c)));
    // The second stream is small: the first guess (gzip's trailer, the last member's
    // size) is far too short and the buffer must grow.
    const std::string packed = testutil::compress(a, c) + testutil::compress(b, c);
    const std::optional<detail::OwnedBytes> out = detail::inflate_whole(whole_bytes(packed), c, 64 << 20);
    ASSERT_TRUE(out);
    EXPECT_EQ(text_of(*out), a + b);
    EXPECT_LE(out->storage->size(), out->size + out->size / 4 + 1) << "a guess far above the output is given back";
  }
  const std::optional<detail::OwnedBytes> empty = detail::inflate_whole({}, Compression::kGzip, 1 << 20);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->size, 0u);
}

TEST(InflateWhole, RefusesOutputOverTheLimitWithoutAllocatingWhatTheTrailerClaims) {
  const std::string plain = sample(1 << 20, 3);
  std::string gz = testutil::compress(plain, Compression::kGzip);
  EXPECT_FALSE(detail::inflate_whole(whole_bytes(gz), Compression::kGzip, (1 << 20) - 1));
  ASSERT_TRUE(detail::inflate_whole(whole_bytes(gz), Compression::kGzip, 1 << 20));
  // A trailer claiming 4 GiB: the first buffer is the limit, and the data (whose real
  // size no longer matches the trailer) is refused rather than inflated to the claim.
  for (int i = 1; i <= 4; ++i) gz[gz.size() - i] = '\xff';
  EXPECT_FALSE(detail::inflate_whole(whole_bytes(gz), Compression::kGzip, 2 << 20));
}

TEST(InflateWhole, CorruptOrTruncatedInputGivesNothing) {
  const std::string plain = sample(100000, 4);
  for (const Compression c : {Compression::kGzip, Compression::kZlib}) {
    const std::string packed = testutil::compress(plain, c);
    for (std::size_t cut : {std::size_t{1}, packed.size() / 2, packed.size() - 1}) {
      EXPECT_FALSE(detail::inflate_whole(whole_bytes(packed.substr(0, cut)), c, 64 << 20)) << "cut at " << cut;
    }
    std::string flipped = packed;
    flipped[packed.size() / 2] ^= 0x10;
    EXPECT_FALSE(detail::inflate_whole(whole_bytes(flipped), c, 64 << 20));
    EXPECT_FALSE(detail::inflate_whole(whole_bytes(packed + "junk after the stream"), c, 64 << 20));
  }
}

// Whole inflation leaves every record a view of one buffer, the inflated file; a
// streaming reader spreads them over buffer_size buffers.
bool records_share_one_buffer(TFRecordReader reader) {
  std::optional<Record> first = reader.next();
  std::optional<Record> last;
  while (std::optional<Record> r = reader.next()) last = std::move(r);
  return first && last && first->data.storage() == last->data.storage();
}

TEST(InflateWhole, TheReaderInflatesSmallCompressedFilesWholeFromAPathOrABuffer) {
  std::vector<std::string> payloads;
  for (unsigned i = 0; i < 200; ++i) payloads.push_back(sample(2000, i));
  const std::string plain = testutil::frames(payloads);
  const testing::TempDir dir;
  for (const Compression c : {Compression::kGzip, Compression::kZlib}) {
    SCOPED_TRACE(std::string(compression_name(c)));
    const std::string packed = testutil::compress(plain, c);
    const std::string path = dir.file("f.tfrecord");
    testing::write_file(path, packed);
    const RecordOptions small_buffers = RecordOptions().buffer_size(4096);
    for (const bool mmap : {false, true}) {
      TFRecordReader reader(path, RecordOptions(small_buffers).use_mmap(mmap));
      EXPECT_EQ(testutil::read_all(reader), payloads);
      EXPECT_TRUE(records_share_one_buffer(TFRecordReader(path, RecordOptions(small_buffers).use_mmap(mmap))));
    }
    EXPECT_TRUE(records_share_one_buffer(TFRecordReader::from_string(packed, small_buffers)));
    // Turned off, or over the limit (whole_inflate_limit, or max_record_size), it streams.
    EXPECT_FALSE(records_share_one_buffer(TFRecordReader(path, RecordOptions(small_buffers).whole_inflate_limit(0))));
    EXPECT_FALSE(records_share_one_buffer(
        TFRecordReader::from_string(packed, RecordOptions(small_buffers).whole_inflate_limit(plain.size() - 1))));
    EXPECT_FALSE(records_share_one_buffer(
        TFRecordReader::from_string(packed, RecordOptions(small_buffers).max_record_size(plain.size() - 1))));
    TFRecordReader streamed(path, RecordOptions(small_buffers).whole_inflate_limit(0));
    EXPECT_EQ(testutil::read_all(streamed), payloads);
  }
}

TEST(InflateWhole, ASeekBackAfterReadingTheWholeInflatedFileFindsItsRecords) {
  const std::vector<std::string> payloads = {"a", sample(5000, 1), "c"};
  TFRecordReader reader = TFRecordReader::from_string(testutil::compress(testutil::frames(payloads), Compression::kGzip));
  EXPECT_EQ(testutil::read_all(reader), payloads);
  const RecordIndex index = reader.index();
  EXPECT_EQ(reader.read_at(index, 1).view(), payloads[1]);
  EXPECT_THROW(reader.seek(1 << 20, 3), OutOfRange);  // past the end drops the buffer...
  EXPECT_EQ(reader.read_at(index, 0).view(), payloads[0]);  // ...and the start is read again
  EXPECT_EQ(reader.read_at(index, 2).view(), payloads[2]);
}

}  // namespace
}  // namespace spool::data
