// The corruption matrix: truncate a small file at every byte and flip every bit of it,
// through every kind of input, and assert the exact error (or the exact skips).
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "data/io/tfrecord_test_util.h"
#include "spool/data/io/tfrecord_reader.h"

namespace spool::data {
namespace {

const std::vector<std::string> kRecords = {"a", "", "hello", "0123456789"};

struct Layout {
  std::vector<std::uint64_t> starts;  // frame offsets, plus the end
  // The frame holding byte `at`.
  std::size_t frame_of(std::uint64_t at) const {
    std::size_t k = 0;
    while (starts[k + 1] <= at) ++k;
    return k;
  }
};

Layout layout() {
  Layout l{{0}};
  for (const auto& r : kRecords) l.starts.push_back(l.starts.back() + r.size() + 16);
  return l;
}

enum class Input { kMemory, kStream, kTinyBufferStream, kGzip };
const Input kInputs[] = {Input::kMemory, Input::kStream, Input::kTinyBufferStream, Input::kGzip};

struct Outcome {
  std::vector<std::string> records;
  std::vector<std::uint64_t> indices;
  std::string error;  // empty when the read ended cleanly
  std::vector<CorruptionReport> reports;
  int callbacks = 0;
};

Outcome read(const std::string& plain, Input input, CorruptionPolicy policy) {
  Outcome out;
  auto options = RecordOptions().corruption_policy(policy).name("f.tfrecord").on_corruption(
      [&out](const CorruptionReport&) { ++out.callbacks; });
  std::istringstream stream(input == Input::kGzip ? testutil::compress(plain, Compression::kGzip) : plain);
  std::unique_ptr<TFRecordReader> reader;
  switch (input) {
    case Input::kMemory:
      reader = std::make_unique<TFRecordReader>(TFRecordReader::from_string(plain, options.compression(Compression::kNone)));
      break;
    case Input::kStream:
      reader = std::make_unique<TFRecordReader>(stream, options.compression(Compression::kNone));
      break;
    case Input::kTinyBufferStream:
      reader = std::make_unique<TFRecordReader>(stream, options.compression(Compression::kNone).buffer_size(5));
      break;
    case Input::kGzip:
      reader = std::make_unique<TFRecordReader>(stream, options.compression(Compression::kGzip).buffer_size(7));
      break;
  }
  try {
    while (std::optional<Record> r = reader->next()) {
      out.records.emplace_back(r->view());
      out.indices.push_back(r->index);
    }
  } catch (const DataLossError& e) {
    out.error = e.what();
  }
  out.reports = reader->corruptions();
  return out;
}

std::string expected_message(const std::string& what, std::size_t record, std::uint64_t offset) {
  return "tfrecord: " + what + " in 'f.tfrecord' at record #" + std::to_string(record) + " (offset " +
         std::to_string(offset) + ")";
}

std::vector<std::string> without(std::size_t k) {
  std::vector<std::string> r = kRecords;
  r.erase(r.begin() + static_cast<std::ptrdiff_t>(k));
  return r;
}

std::vector<std::string> first(std::size_t k) { return {kRecords.begin(), kRecords.begin() + static_cast<std::ptrdiff_t>(k)}; }

TEST(TFRecordCorruption, TruncationAtEveryByte) {
  const std::string file = testutil::frames(kRecords);
  const Layout l = layout();
  ASSERT_EQ(file.size(), l.starts.back());
  for (std::uint64_t cut = 0; cut <= file.size(); ++cut) {
    const std::size_t k = cut == file.size() ? kRecords.size() : l.frame_of(cut);
    const std::uint64_t into = cut - l.starts[k];
    std::string want;  // a cut exactly between frames is the clean end
    if (into > 0 && into < 12) {
      want = expected_message("truncated header", k, l.starts[k]) + ": expected 12 bytes, " + std::to_string(into) +
             " there";
    } else if (into >= 12) {
      want = expected_message("truncated record", k, l.starts[k]) + ": expected " + std::to_string(kRecords[k].size()) +
             " data + 4 crc bytes after the header, " + std::to_string(into - 12) + " there";
    }
    for (Input input : kInputs) {
      SCOPED_TRACE("cut at " + std::to_string(cut) + ", input " + std::to_string(static_cast<int>(input)));
      const Outcome fail = read(file.substr(0, cut), input, CorruptionPolicy::kFail);
      EXPECT_EQ(fail.records, first(k));
      EXPECT_EQ(fail.error, want);
      const Outcome skip = read(file.substr(0, cut), input, CorruptionPolicy::kSkipRecord);
      EXPECT_EQ(skip.records, first(k));
      EXPECT_EQ(skip.error, "");
      ASSERT_EQ(skip.reports.size(), want.empty() ? 0u : 1u);
      EXPECT_EQ(skip.callbacks, static_cast<int>(skip.reports.size()));
      if (!want.empty()) {
        EXPECT_EQ(skip.reports[0].reason, want);
        EXPECT_EQ(skip.reports[0].file, "f.tfrecord");
        EXPECT_EQ(skip.reports[0].offset, l.starts[k]);
        EXPECT_EQ(skip.reports[0].record_index, k);
        EXPECT_EQ(skip.reports[0].skipped_bytes, into);
      }
    }
  }
}

TEST(TFRecordCorruption, EveryBitFlip) {
  const std::string file = testutil::frames(kRecords);
  const Layout l = layout();
  for (std::size_t byte = 0; byte < file.size(); ++byte) {
    const std::size_t k = l.frame_of(byte);
    const bool in_header = byte - l.starts[k] < 12;
    const std::string want = expected_message(in_header ? "length crc mismatch" : "data crc mismatch", k, l.starts[k]);
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = file;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      for (Input input : kInputs) {
        SCOPED_TRACE("byte " + std::to_string(byte) + " bit " + std::to_string(bit) + " input " +
                     std::to_string(static_cast<int>(input)));
        const Outcome fail = read(bad, input, CorruptionPolicy::kFail);
        EXPECT_EQ(fail.error, want);
        EXPECT_EQ(fail.records, first(k));  // never a wrong record passed as good

        const Outcome skip = read(bad, input, CorruptionPolicy::kSkipRecord);
        EXPECT_EQ(skip.error, "");
        EXPECT_EQ(skip.records, without(k));
        EXPECT_EQ(skip.indices, (std::vector<std::uint64_t>{0, 1, 2}));  // good records are numbered densely
        ASSERT_EQ(skip.reports.size(), 1u);
        EXPECT_EQ(skip.callbacks, 1);
        EXPECT_EQ(skip.reports[0].reason, want);
        EXPECT_EQ(skip.reports[0].offset, l.starts[k]);
        EXPECT_EQ(skip.reports[0].record_index, k);
        EXPECT_EQ(skip.reports[0].skipped_bytes, l.starts[k + 1] - l.starts[k]);

        const Outcome stop = read(bad, input, CorruptionPolicy::kSkipFile);
        EXPECT_EQ(stop.error, "");
        EXPECT_EQ(stop.records, first(k));
        ASSERT_EQ(stop.reports.size(), 1u);
        EXPECT_EQ(stop.reports[0].reason, want);
        EXPECT_EQ(stop.reports[0].skipped_bytes, file.size() - l.starts[k]);
      }
    }
  }
}

TEST(TFRecordCorruption, SkipRecordResynchronisesOverGarbage) {
  const std::string garbage = "this is not a frame at all";
  const std::string file = testutil::frame("one") + garbage + testutil::frame("two") + "\x01\x02" + testutil::frame("3");
  const Outcome out = read(file, Input::kTinyBufferStream, CorruptionPolicy::kSkipRecord);
  EXPECT_EQ(out.records, (std::vector<std::string>{"one", "two", "3"}));
  ASSERT_EQ(out.reports.size(), 2u);
  EXPECT_EQ(out.reports[0].offset, 19u);
  EXPECT_EQ(out.reports[0].skipped_bytes, garbage.size());
  EXPECT_EQ(out.reports[0].record_index, 1u);
  EXPECT_EQ(out.reports[1].skipped_bytes, 2u);
  EXPECT_EQ(out.reports[1].record_index, 2u);
  for (Input input : kInputs) EXPECT_EQ(read(file, input, CorruptionPolicy::kSkipRecord).reports.size(), 2u);
}

TEST(TFRecordCorruption, HugeLengthNeverAllocates) {
  // A valid header claiming 2^63 bytes, then a few bytes: must fail before allocating.
  const std::string header = testutil::le(1ull << 63, 8);
  const std::string file = header + testutil::le(mask_crc(crc32c(header)), 4) + "abcdefgh";
  for (Input input : kInputs) {
    const Outcome out = read(file, input, CorruptionPolicy::kFail);
    // In memory the bytes left are known; a stream's are not, and the size limit speaks.
    EXPECT_EQ(out.error, input == Input::kMemory
                             ? expected_message("truncated record", 0, 0) +
                                   ": expected 9223372036854775808 data + 4 crc bytes after the header, 8 there"
                             : expected_message("record over the size limit", 0, 0) +
                                   ": the header declares 9223372036854775808 bytes, RecordOptions::max_record_size is "
                                   "1073741824");
  }
  const std::string max = testutil::le(~0ull, 8);
  const std::string file2 = max + testutil::le(mask_crc(crc32c(max)), 4) + "abc";
  for (Input input : kInputs) EXPECT_NE(read(file2, input, CorruptionPolicy::kFail).error, "");
}

TEST(TFRecordCorruption, RecordOverTheSizeLimitIsRefusedBeforeItIsRead) {
  // A gzip bomb: 64 MiB of zeros in one record inflate from about 64 KiB. With a 1 MiB
  // limit the record is refused on its header; kSkipRecord steps over its frame.
  const std::string big(64 << 20, '\0');
  const std::string plain = testutil::frames({"a", big, "b"});
  const std::string gz = testutil::compress(plain, Compression::kGzip);
  ASSERT_LT(gz.size(), 1u << 20);
  for (const std::string* bytes : {&plain, &gz}) {
    const auto options = RecordOptions().name("f.tfrecord").max_record_size(1 << 20);
    TFRecordReader failing = TFRecordReader::from_string(*bytes, options);
    ASSERT_TRUE(failing.next());
    try {
      failing.next();
      ADD_FAILURE() << "a record over the limit was read";
    } catch (const DataLossError& e) {
      EXPECT_EQ(std::string(e.what()),
                expected_message("record over the size limit", 1, 17) +
                    ": the header declares 67108864 bytes, RecordOptions::max_record_size is 1048576");
    }
    std::istringstream in(*bytes);
    TFRecordReader skipping(in, RecordOptions(options).corruption_policy(CorruptionPolicy::kSkipRecord));
    EXPECT_EQ(testutil::read_all(skipping), (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(skipping.corruptions().size(), 1u);
    EXPECT_EQ(skipping.corruptions()[0].skipped_bytes, big.size() + 16);
    EXPECT_EQ(skipping.corruptions()[0].record_index, 1u);
  }
  // The default admits it.
  TFRecordReader reader = TFRecordReader::from_string(gz);
  EXPECT_EQ(testutil::read_all(reader).size(), 3u);
  EXPECT_THROW(RecordOptions().max_record_size(0), InvalidArgument);
}

TEST(TFRecordCorruption, BrokenGzipStreamIsDataLoss) {
  const std::string plain = testutil::frames(kRecords);
  const std::string gz = testutil::compress(plain, Compression::kGzip);
  const std::regex pattern(
      "tfrecord: (truncated gzip stream|corrupt gzip stream \\(zlib: [^)]*\\)) in 'f.tfrecord' at record #[0-4] "
      "\\(offset [0-9]+\\)");
  for (std::size_t cut = 2; cut < gz.size(); ++cut) {  // cut the compressed file itself (past the magic)
    std::istringstream in(gz.substr(0, cut));
    TFRecordReader reader(in, RecordOptions().name("f.tfrecord"));
    std::vector<std::string> got;
    try {
      while (std::optional<Record> r = reader.next()) got.emplace_back(r->view());
      ADD_FAILURE() << "no error for a gzip file cut at " << cut;
    } catch (const DataLossError& e) {
      EXPECT_TRUE(std::regex_match(std::string(e.what()), pattern)) << e.what();
    }
    EXPECT_EQ(got, first(got.size()));
  }
  for (std::size_t at = 10; at + 8 < gz.size(); ++at) {  // flip the deflate data
    std::string bad = gz;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    TFRecordReader reader = TFRecordReader::from_string(bad, RecordOptions().name("f.tfrecord"));
    std::vector<std::string> got;
    try {
      while (std::optional<Record> r = reader.next()) got.emplace_back(r->view());
      ADD_FAILURE() << "no error for a flip at " << at;
    } catch (const DataLossError& e) {
      EXPECT_NE(std::string(e.what()).find("'f.tfrecord' at record #"), std::string::npos) << e.what();
    }
    EXPECT_EQ(got, first(got.size()));  // whatever came out before the error was right
  }
  // Under kSkipFile the break is reported, not thrown.
  TFRecordReader reader = TFRecordReader::from_string(gz.substr(0, gz.size() - 3),
                                                       RecordOptions().corruption_policy(CorruptionPolicy::kSkipFile));
  EXPECT_EQ(testutil::read_all(reader), kRecords);
  ASSERT_EQ(reader.corruptions().size(), 1u);
  EXPECT_NE(reader.corruptions()[0].reason.find("truncated gzip stream"), std::string::npos);
  EXPECT_EQ(reader.corruptions()[0].offset, plain.size());
}

TEST(TFRecordCorruption, IndexAfterSkipsHoldsTheGoodRecords) {
  std::string file = testutil::frames(kRecords);
  file[17 + 12 + 0] ^= 1;  // record #1 is empty: its data CRC lives right after the header
  TFRecordReader reader = TFRecordReader::from_string(file, RecordOptions().corruption_policy(CorruptionPolicy::kSkipRecord));
  EXPECT_EQ(testutil::read_all(reader), without(1));
  EXPECT_TRUE(reader.index_complete());
  EXPECT_EQ(reader.index().entries(), (std::vector<IndexEntry>{{0, 17}, {33, 21}, {54, 26}}));
  EXPECT_EQ(reader.read_at(reader.index(), 2).view(), "0123456789");
}

}  // namespace
}  // namespace spool::data
