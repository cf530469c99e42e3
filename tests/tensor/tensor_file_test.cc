#include "spool/tensor/tensor_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>

#include <filesystem>

#include "spool/tensor/atomic_file.h"
#include "test_support.h"

namespace spool {
namespace {

std::vector<NamedTensor> sample() {
  return {{"dense/kernel", Tensor::from_vector<float>({1.5f, -2, 3, 4, 5, 6}, Shape{2, 3})},
          {"step", Tensor::scalar<std::int64_t>(1000)},
          {"empty", Tensor::zeros(Shape{0, 4}, DType::kF64)},
          {"bytes", Tensor::from_bytes("abc")},
          {"transposed", Tensor::from_vector<std::int32_t>({1, 2, 3, 4}, Shape{2, 2}).transpose(0, 1)}};
}

TEST(TensorFileTest, RoundTripsNamesDtypesShapesAndValues) {
  testing::TempDir dir;
  const std::string path = dir.file("t.tensors");
  save_tensors(path, sample());
  auto loaded = load_tensors(path);
  ASSERT_EQ(loaded.size(), 5u);
  EXPECT_EQ(loaded[0].name, "dense/kernel");
  EXPECT_EQ(loaded[0].tensor.shape(), (Shape{2, 3}));
  EXPECT_EQ(loaded[0].tensor.to_vector<float>(), (std::vector<float>{1.5f, -2, 3, 4, 5, 6}));
  EXPECT_EQ(loaded[1].tensor.item<std::int64_t>(), 1000);
  EXPECT_EQ(loaded[1].tensor.rank(), 0);
  EXPECT_EQ(loaded[2].tensor.shape(), (Shape{0, 4}));
  EXPECT_EQ(loaded[2].tensor.dtype(), DType::kF64);
  EXPECT_EQ(loaded[3].tensor.as_string_view(), "abc");
  EXPECT_EQ(loaded[4].tensor.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 3, 2, 4}));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "t.tensors") << "temporary file left behind";
}

TEST(TensorFileTest, EveryFlippedByteOrTruncationIsADataLossError) {
  const std::string good = encode_tensors(sample());
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    EXPECT_THROW(decode_tensors(bad), DataLossError) << "flip at byte " << i;
  }
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(decode_tensors(std::string_view(good).substr(0, n)), DataLossError) << "cut at " << n;
}

TEST(TensorFileTest, MessagesNameTheTensorAndOffset) {
  std::string bytes = encode_tensors({{"w", Tensor::from_vector<float>({1, 2})}});
  bytes[bytes.size() - 6] ^= 1;  // inside the data of the only tensor
  try {
    decode_tensors(bytes, "ckpt.tensors");
    FAIL();
  } catch (const DataLossError& e) {
    EXPECT_STREQ(e.what(), "tensor file 'ckpt.tensors': tensor #0 'w': crc mismatch (offset 16)");
  }
  std::string future = encode_tensors({});
  future[8] = 2;
  try {
    decode_tensors(future, "new.tensors");
    FAIL();
  } catch (const DataLossError& e) {
    EXPECT_STREQ(e.what(),
                 "tensor file 'new.tensors': version 2 is not supported (this build reads version 1) (offset 8)");
  }
}

TEST(TensorFileTest, HugeDeclaredLengthsDoNotAllocate) {
  std::string bytes = encode_tensors({{"w", Tensor::from_vector<float>({1, 2})}});
  // data length field sits after magic(8) version(4) count(4) header_len(4) header(1+... )
  const std::size_t header_len = 2 + 1 + 1 + 1 + 8;
  const std::size_t data_len_at = 8 + 4 + 4 + 4 + header_len;
  const std::uint64_t huge = 1ull << 62;
  std::memcpy(bytes.data() + data_len_at, &huge, 8);
  EXPECT_THROW(decode_tensors(bytes), DataLossError);
}

TEST(TensorFileTest, MissingFileIsAnIoError) {
  EXPECT_THROW(load_tensors("/nonexistent/dir/x.tensors"), IoError);
}

// A full disk, as a file-size limit makes one: the write fails naming the file, and the
// previous good file stays, with no temporary file left beside it.
TEST(TensorFileTest, AFailingWriteNamesTheFileAndKeepsThePreviousOne) {
  testing::TempDir dir;
  const std::string path = dir.file("ckpt.tensors");
  const Tensor small = Tensor::from_vector<float>({1, 2, 3});
  save_tensors(path, {{"w", small}});
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG
  rlimit before{};
  getrlimit(RLIMIT_FSIZE, &before);
  rlimit limited = before;
  limited.rlim_cur = 64 * 1024;
  setrlimit(RLIMIT_FSIZE, &limited);
  std::string message;
  try {
    save_tensors(path, {{"w", Tensor::zeros(Shape{1 << 20}, DType::kF32)}});
  } catch (const IoError& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find("cannot write \"" + path + "\": File too large"), std::string::npos) << "got: " << message;
  const std::vector<NamedTensor> kept = load_tensors(path);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].tensor.to_vector<float>(), small.to_vector<float>());
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
}

TEST(AppendDurablyTest, AppendsAndTakesBackAWriteThatFailedHalfWay) {
  testing::TempDir dir;
  const std::string path = dir.file("log.jsonl");
  detail::append_durably(path, "one\n", 4);
  detail::append_durably(path, "two\n", 4);
  EXPECT_EQ(testing::read_file(path), "one\ntwo\n");
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit before{};
  getrlimit(RLIMIT_FSIZE, &before);
  rlimit limited = before;
  limited.rlim_cur = 16;  // room for 8 more bytes of the 100
  setrlimit(RLIMIT_FSIZE, &limited);
  std::string message;
  try {
    const std::string line(100, 'x');
    detail::append_durably(path, line.data(), line.size());
  } catch (const IoError& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &before);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(message, "cannot append to '" + path + "': File too large");
  EXPECT_EQ(testing::read_file(path), "one\ntwo\n");
  EXPECT_THROW(detail::append_durably(dir.file("no/such/folder.log"), "x", 1), IoError);
}

}  // namespace
}  // namespace spool
