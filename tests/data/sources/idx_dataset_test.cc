// read_idx and IdxDataset: small IDX files written here (raw and gzip), the header
// corruption matrix with exact messages, and the real Fashion-MNIST files.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "data/io/tfrecord_test_util.h"
#include "data/pipeline_test_util.h"
#include "spool/data/image/idx.h"
#include "spool/data/sources/idx_dataset.h"
#include "test_support.h"

namespace spool::data {
namespace {

using spool::testing::TempDir;
using spool::testing::write_file;

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idx_bytes(std::uint8_t code, const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string out{'\0', '\0', static_cast<char>(code), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) out += be32(d);
  return out + data;
}

std::string counting_bytes(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(i * 7 % 256));
  return out;
}

// The message of the `E` that `f` throws ("no error" / "other error" otherwise).
template <typename E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("other error: ") + e.what();
  }
  return "no error";
}

class IdxTest : public ::testing::Test {
 protected:
  // Writes `bytes` (gzipped when asked) and returns the path.
  std::string put(const std::string& name, const std::string& bytes, bool gzip = false) {
    const std::string path = dir_.file(name);
    write_file(path, gzip ? testutil::compress(bytes, Compression::kGzip) : bytes);
    return path;
  }
  std::string read_error(const std::string& bytes, bool gzip = false) {
    const std::string path = put(gzip ? "bad.gz" : "bad", bytes, gzip);
    return error_of<Error>([&] { read_idx(path); });
  }
  TempDir dir_;
};

TEST_F(IdxTest, ReadsRawAndGzipFilesOfTheStoredShape) {
  const std::string data = counting_bytes(3 * 4 * 5);
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "gzip" : "raw");
    Tensor t = read_idx(put(gzip ? "a.gz" : "a", idx_bytes(0x08, {3, 4, 5}, data), gzip));
    EXPECT_EQ(t.dtype(), DType::kU8);
    EXPECT_EQ(t.shape(), (Shape{3, 4, 5}));
    EXPECT_EQ(t.as_string_view(), data);
  }
}

TEST_F(IdxTest, ConvertsBigEndianI32AndF32ToHostOrder) {
  Tensor i = read_idx(put("i", idx_bytes(0x0C, {2}, be32(1) + be32(0xFFFFFFFE))));
  EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, -2}));
  Tensor f = read_idx(put("f", idx_bytes(0x0D, {1, 1}, be32(0x3FC00000))));  // 1.5f
  EXPECT_EQ(f.shape(), (Shape{1, 1}));
  EXPECT_EQ(f.item<float>(), 1.5f);
}

TEST_F(IdxTest, EmptyDimensionGivesAnEmptyTensor) {
  Tensor t = read_idx(put("e", idx_bytes(0x08, {0, 28}, "")));
  EXPECT_EQ(t.shape(), (Shape{0, 28}));
}

TEST_F(IdxTest, HeaderCorruptionMatrix) {
  const std::string p = "'" + dir_.file("bad") + "'";
  const std::string good = idx_bytes(0x08, {2, 3}, "abcdef");
  std::string magic = good;
  magic[1] = '\x12';
  EXPECT_EQ(read_error(magic), "idx: bad magic in " + p + " at offset 0: expected 0 0, found 0 12 (hex)");
  std::string dtype = good;
  dtype[2] = '\x07';
  EXPECT_EQ(read_error(dtype), "idx: unknown data type code 7 in " + p +
                                   " at offset 2; expected 8 (u8), 9 (i8), 11 (i16), 12 (i32), 13 (f32) or 14 (f64)");
  dtype[2] = '\x0B';
  EXPECT_EQ(error_of<Unimplemented>([&] { read_idx(put("bad", dtype)); }),
            "idx: data type code 11 (i16) in " + p +
                " at offset 2 has no Spool dtype; supported: 8 (u8), 12 (i32), 13 (f32), 14 (f64)");
  for (char ndim : {'\0', '\5'}) {
    std::string bad = good;
    bad[3] = ndim;
    EXPECT_EQ(read_error(bad), "idx: bad number of dimensions " + std::to_string(ndim) + " in " + p +
                                   " at offset 3: expected 1 to 4");
  }
  // Truncated at every byte of the header and at several points of the data.
  for (std::size_t n : {0, 1, 3}) {
    EXPECT_EQ(read_error(good.substr(0, n)),
              "idx: truncated header in " + p + ": expected 4 bytes, found " + std::to_string(n));
  }
  for (std::size_t n : {4, 7, 11}) {
    EXPECT_EQ(read_error(good.substr(0, n)), "idx: truncated header in " + p +
                                                 ": expected 12 bytes for 2 dimensions, found " + std::to_string(n));
  }
  for (std::size_t n : {12, 13, 17}) {
    EXPECT_EQ(read_error(good.substr(0, n)), "idx: " + p + " is truncated: its header (u8[2, 3]) needs 18 bytes, found " +
                                                 std::to_string(n));
  }
  EXPECT_EQ(read_error(good + "x"), "idx: " + p + " has bytes after the data: its header (u8[2, 3]) needs 18 bytes, found 19");
  // Sizes whose product overflows are caught before any allocation.
  EXPECT_EQ(read_error(idx_bytes(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, "")),
            "idx: " + p + " is truncated: its header (f64[4294967295, 4294967295, 4294967295]) needs more than 2^64 bytes, found 16");
}

TEST_F(IdxTest, GzipCorruptionMatrix) {
  const std::string p = "'" + dir_.file("bad.gz") + "'";
  const std::string good = idx_bytes(0x08, {2, 3}, "abcdef");
  EXPECT_EQ(read_error(good.substr(0, 15), true),
            "idx: " + p + " is truncated: its header (u8[2, 3]) needs 18 bytes, found 15");
  EXPECT_EQ(read_error(good + "xy", true), "idx: " + p + " has bytes after the data: its header (u8[2, 3]) needs 18 bytes, found more");
  EXPECT_EQ(read_error(idx_bytes(0x08, {0x10000, 0x10000}, ""), true),
            "idx: " + p + " declares u8[65536, 65536] (4294967296 bytes), more than the limit of 2147483648 bytes for compressed input");
  // A gzip stream cut short (the 8-byte trailer and 2 bytes of the deflate data): the
  // inflater's error, with the file and the offset of the first byte it could not give.
  const std::string gz = testutil::compress(good, Compression::kGzip);
  write_file(dir_.file("bad.gz"), gz.substr(0, gz.size() - 10));
  EXPECT_EQ(error_of<DataLossError>([&] { read_idx(dir_.file("bad.gz")); }),
            "idx: truncated gzip stream in " + p + " at uncompressed offset 17");
}

// Data that deflates far better than images (a repeating pattern, ~1000:1) outgrows
// the first buffer (8x the compressed size, at least 1 MiB) several times: the grown
// buffer keeps every byte, and a header that claims more than the stream holds is
// still "truncated" with the exact count.
TEST_F(IdxTest, GzipDataThatOutgrowsTheFirstBufferIsReadWhole) {
  const std::string data = counting_bytes(std::size_t{5} << 20);
  Tensor t = read_idx(put("big.gz", idx_bytes(0x08, {5, 1024, 1024}, data), true));
  ASSERT_EQ(t.shape(), (Shape{5, 1024, 1024}));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data<std::uint8_t>()), data.size()), data);
  const std::string p = "'" + dir_.file("bad.gz") + "'";
  EXPECT_EQ(read_error(idx_bytes(0x08, {6, 1024, 1024}, data), true),
            "idx: " + p + " is truncated: its header (u8[6, 1024, 1024]) needs 6291472 bytes, found 5242896");
}

TEST_F(IdxTest, MissingFileIsAnIoError) {
  EXPECT_THROW(read_idx(dir_.file("absent")), IoError);
}

TEST_F(IdxTest, DatasetYieldsNamedImageAndLabelAndResumes) {
  const std::string images = put("img.gz", idx_bytes(0x08, {3, 2, 2}, counting_bytes(12)), true);
  const std::string labels = put("lab", idx_bytes(0x08, {3}, std::string{'\x09', '\x00', '\x03'}));
  Dataset ds = IdxDataset(images, labels);
  EXPECT_EQ(ds.cardinality(), 3);
  std::vector<Element> all = spool::testing::drain(ds);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].names(), (std::vector<std::string>{"image", "label"}));
  EXPECT_EQ(all[1]["image"].shape(), (Shape{2, 2}));
  EXPECT_EQ(all[1]["image"].to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{28, 35, 42, 49}));
  EXPECT_EQ(spool::testing::scalars(all, 1), (std::vector<std::int64_t>{9, 0, 3}));
  spool::testing::expect_resumes_exactly(ds, spool::testing::all_cuts(ds));
}

TEST_F(IdxTest, DatasetCountsMustAgree) {
  const std::string images = put("img", idx_bytes(0x08, {3, 1, 1}, "abc"));
  const std::string labels = put("lab", idx_bytes(0x08, {2}, "ab"));
  EXPECT_EQ(error_of<InvalidArgument>([&] { IdxDataset(images, labels); }),
            "IdxDataset: '" + images + "' has 3 images but '" + labels + "' has 2 labels");
}

TEST(IdxFashionMnist, TrainHas60000ImagesAndTheFirstLabelIs9) {
  std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir / "train-images-idx3-ubyte.gz")) {
    const auto shared = spool::testing::shared_data_dir();
    if (shared.empty()) GTEST_SKIP() << "Fashion-MNIST is in neither /usr/share/datasets nor ../shared/data";
    dir = shared / "fashion-mnist";
  }
  Dataset ds = IdxDataset((dir / "train-images-idx3-ubyte.gz").string(), (dir / "train-labels-idx1-ubyte.gz").string());
  EXPECT_EQ(ds.cardinality(), 60000);
  Iterator it = ds.make_iterator();
  std::vector<Element> first = spool::testing::drain(it, 10);
  // Checked with Python's gzip module: labels 9 0 0 3 0 2 7 2 5 5; image 0 sums to 76247.
  EXPECT_EQ(spool::testing::scalars(first, 1), (std::vector<std::int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
  EXPECT_EQ(first[0]["image"].shape(), (Shape{28, 28}));
  std::int64_t sum = 0;
  for (std::uint8_t v : first[0]["image"].to_vector<std::uint8_t>()) sum += v;
  EXPECT_EQ(sum, 76247);
  Tensor test_labels = read_idx((dir / "t10k-labels-idx1-ubyte.gz").string());
  EXPECT_EQ(test_labels.shape(), (Shape{10000}));
}

}  // namespace
}  // namespace spool::data
