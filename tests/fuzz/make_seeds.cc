// Writes the seed corpora of the fuzz targets from a few valid records:
//   fuzz_make_seeds tests/fuzz/corpus
// Seeds are committed (small files); rerun this when the formats grow a case.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <zlib.h>

#include "spool/data/io/example.h"
#include "spool/data/io/sequence_example.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/tensor/tensor_file.h"

namespace {

using namespace spool::data;

void save(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

Example small_example(int i) {
  Example ex;
  ex.features["label"] = Feature::int64s({i, -i});
  ex.features["scores"] = Feature::floats({0.25f * static_cast<float>(i), -1.0f});
  ex.features["image/encoded"] = Feature::bytes({std::string(static_cast<std::size_t>(3 + i), 'x'), ""});
  ex.features["missing"] = Feature{};
  return ex;
}

SequenceExample small_sequence_example() {
  SequenceExample se;
  se.context["length"] = Feature::int64s({2});
  se.feature_lists["tokens"] = {Feature::bytes({"a", "bc"}), Feature::bytes({})};
  se.feature_lists["ids"] = {Feature::int64s({1, 2}), Feature::int64s({3})};
  return se;
}

std::string tfrecord(Compression compression, int records) {
  std::ostringstream out;
  TFRecordWriter writer(out, WriterOptions().compression(compression));
  for (int i = 0; i < records; ++i) writer.write(encode_example(small_example(i)));
  writer.close();
  return out.str();
}

// An IDX file: two zero bytes, the type code, the rank, big-endian u32 sizes, values.
std::string idx(unsigned char code, const std::vector<std::uint32_t>& dims, const std::string& values) {
  std::string out{'\0', '\0', static_cast<char>(code), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(d >> shift);
  return out + values;
}

std::string gzip(const std::string& bytes) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, bytes.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds CORPUS_DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  save(dir / "record_reader" / "three_records.tfrecord", tfrecord(Compression::kNone, 3));
  save(dir / "record_reader" / "empty.tfrecord", "");
  save(dir / "record_reader" / "two_records.tfrecord.gz", tfrecord(Compression::kGzip, 2));
  save(dir / "record_reader" / "two_records.tfrecord.zlib", tfrecord(Compression::kZlib, 2));
  save(dir / "example" / "example.pb", encode_example(small_example(2)));
  save(dir / "example" / "empty_example.pb", "");
  save(dir / "example" / "sequence_example.pb", encode_sequence_example(small_sequence_example()));
  // A checkpoint's kinds of tensor: f32 weights, an i64 step, an empty one, a u8 image.
  save(dir / "tensor_file" / "checkpoint.tensors",
       spool::encode_tensors({{"dense/kernel", spool::Tensor::from_vector<float>({1, -2, 3.5f, 0}, spool::Shape{2, 2})},
                              {"optimizer/adam/iterations", spool::Tensor::scalar<std::int64_t>(7)},
                              {"empty", spool::Tensor::zeros(spool::Shape{0, 3}, spool::DType::kF32)},
                              {"image", spool::Tensor::zeros(spool::Shape{2, 2, 1}, spool::DType::kU8)}}));
  save(dir / "tensor_file" / "none.tensors", spool::encode_tensors({}));
  const std::string images = idx(0x08, {2, 3, 2}, std::string("\0\1\2\3\4\5\6\7\10\11\12\13", 12));
  save(dir / "idx" / "images_u8.idx", images);
  save(dir / "idx" / "images_u8.idx.gz", gzip(images));
  save(dir / "idx" / "labels_u8.idx", idx(0x08, {5}, std::string("\0\1\2\3\11", 5)));
  save(dir / "idx" / "values_f32.idx", idx(0x0D, {2, 2}, std::string("\x3f\0\0\0\xbf\x80\0\0\x40\x50\0\0\0\0\0\0", 16)));
  save(dir / "idx" / "values_i32.idx", idx(0x0C, {3}, std::string("\0\0\0\1\xff\xff\xff\xfe\0\1\x11\x70", 12)));
  std::cout << "seeds written under " << dir << '\n';
  return 0;
}
