// Writes the seed corpora of the fuzz targets from a few valid records:
//   fuzz_make_seeds tests/fuzz/corpus
// Seeds are committed (small files); rerun this when the formats grow a case. Besides
// these, corpus/image/ holds two real files this libjpeg cannot write: testimgari.jpg
// (arithmetic coding) and monkey12.jpg (12-bit samples), libjpeg-turbo's test images
// as ../shared/data/jpeg/ has them (see its README).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <zlib.h>

#include "data/image/image_test_util.h"
#include "fuzz_inputs.h"
#include "spool/data/io/example.h"
#include "spool/data/io/sequence_example.h"
#include "spool/data/io/tfrecord_reader.h"
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

// The APP1 payload of an Exif block whose IFD0 holds only Orientation (little-endian TIFF).
std::string exif_orientation_app1(int orientation) {
  return std::string("Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0", 24) +
         static_cast<char>(orientation) + std::string(7, '\0');
}

// A small PNG as libpng writes it (tests/data/image/image_test_util.h), its samples a
// pattern below 2^bit_depth (below 16 for a palette, which has 16 entries).
std::string png(int color_type, int bit_depth, int width, int height, bool interlaced) {
  spool::testing::PngSpec spec{.width = width, .height = height, .color_type = color_type, .bit_depth = bit_depth,
                               .interlaced = interlaced};
  const int limit = color_type == PNG_COLOR_TYPE_PALETTE ? 16 : 1 << bit_depth;
  const int n = width * height * spool::testing::png_channels(color_type);
  for (int i = 0; i < n; ++i) spec.samples.push_back(static_cast<std::uint16_t>((i * 37 + i / width * 11) % limit));
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    for (int i = 0; i < 16; ++i) {
      spec.palette.push_back({static_cast<png_byte>(i * 16), static_cast<png_byte>(255 - i * 16), static_cast<png_byte>(i * 5)});
    }
  }
  return spool::testing::write_png(spec);
}

std::string jpeg(int width, int height, int components, bool progressive, int exif_orientation = 0) {
  spool::testing::JpegSpec spec{.width = width, .height = height, .components = components,
                                .in_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK,
                                .quality = 60, .progressive = progressive};
  if (exif_orientation) spec.app1 = exif_orientation_app1(exif_orientation);
  spec.samples = spool::testing::smooth_pixels(height, width, components);
  return spool::testing::write_jpeg(spec);
}

void image_seeds(const std::filesystem::path& dir) {
  save(dir / "gray1.png", png(PNG_COLOR_TYPE_GRAY, 1, 8, 8, false));
  spool::testing::PngSpec gray_trns{.width = 7, .height = 5, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 4,
                                    .samples = std::vector<std::uint16_t>(35, 3), .trns_gray = 3};
  save(dir / "gray4_trns.png", spool::testing::write_png(gray_trns));
  save(dir / "gray16.png", png(PNG_COLOR_TYPE_GRAY, 16, 4, 4, false));
  save(dir / "rgb8.png", png(PNG_COLOR_TYPE_RGB, 8, 8, 8, false));
  save(dir / "rgb16_interlaced.png", png(PNG_COLOR_TYPE_RGB, 16, 9, 9, true));
  save(dir / "palette4_interlaced.png", png(PNG_COLOR_TYPE_PALETTE, 4, 10, 3, true));
  spool::testing::PngSpec palette_trns{.width = 8, .height = 8, .color_type = PNG_COLOR_TYPE_PALETTE, .bit_depth = 2,
                                       .samples = std::vector<std::uint16_t>(64, 1), .palette = {{1, 2, 3}, {4, 5, 6}},
                                       .trns_alpha = {0x80}};
  save(dir / "palette2_trns.png", spool::testing::write_png(palette_trns));
  save(dir / "gray_alpha8.png", png(PNG_COLOR_TYPE_GRAY_ALPHA, 8, 5, 5, false));
  save(dir / "rgba8_interlaced.png", png(PNG_COLOR_TYPE_RGB_ALPHA, 8, 8, 8, true));
  save(dir / "rgba16.png", png(PNG_COLOR_TYPE_RGB_ALPHA, 16, 3, 3, false));
  save(dir / "gray.jpg", jpeg(8, 8, 1, false));
  save(dir / "rgb_420.jpg", jpeg(17, 9, 3, false));
  save(dir / "rgb_progressive.jpg", jpeg(16, 16, 3, true));
  save(dir / "rgb_exif6.jpg", jpeg(24, 8, 3, false, 6));
  save(dir / "gray_exif3.jpg", jpeg(5, 3, 1, true, 3));
  save(dir / "cmyk.jpg", jpeg(8, 8, 4, false));
}

// The true index of fuzz_inputs.h's stream, a prefix of it, and the same with CRLF
// endings and extra blanks (which load accepts).
void record_index_seeds(const std::filesystem::path& dir) {
  TFRecordReader reader = TFRecordReader::from_string(spool::fuzz::indexed_tfrecord(Compression::kNone));
  while (reader.next()) {
  }
  const std::string text = reader.index().to_text();
  save(dir / "indexed.idx", text);
  save(dir / "prefix.idx", text.substr(0, text.find('\n', text.find('\n') + 1) + 1));
  std::string loose;
  for (const IndexEntry& e : reader.index()) loose += " " + std::to_string(e.offset) + "\t" + std::to_string(e.size) + " \r\n";
  save(dir / "loose.idx", loose);
  save(dir / "empty.idx", "");
}

// One byte with the spec's length, the spec (fuzz_inputs.h), then the record.
std::string spec_and_record(const std::vector<spool::fuzz::SpecEntryBytes>& spec, const std::string& record) {
  const std::string bytes = spool::fuzz::encode_spec(spec);
  return static_cast<char>(bytes.size()) + bytes + record;
}

void feature_spec_seeds(const std::filesystem::path& dir) {
  const std::string record = encode_example(small_example(2));
  // small_example: label int64 x2, scores float x2, image/encoded bytes x2, missing (no kind).
  save(dir / "fixed.bin", spec_and_record({{.kind = 0, .fixed = true, .dims = {2}, .key = "label"},
                                           {.kind = 1, .fixed = true, .dims = {2}, .key = "scores"},
                                           {.kind = 2, .fixed = true, .dims = {2}, .key = "image/encoded"}},
                                          record));
  save(dir / "var_len.bin", spec_and_record({{.kind = 0, .key = "label"},
                                             {.kind = 1, .key = "scores"},
                                             {.kind = 2, .key = "image/encoded"},
                                             {.kind = 2, .key = "missing"}},
                                            record));
  save(dir / "defaults.bin", spec_and_record({{.kind = 0, .fixed = true, .dims = {2}, .key = "label"},
                                              {.kind = 0, .fixed = true, .key = "missing", .default_byte = 0xfe},
                                              {.kind = 1, .fixed = true, .dims = {1, 3}, .key = "absent", .default_byte = 6},
                                              {.kind = 2, .fixed = true, .key = "none", .default_byte = 3}},
                                             record));
  Example one;
  one.features["a"] = Feature::int64s({7});
  one.features["b"] = Feature::floats({0.5f});
  one.features["c"] = Feature::bytes({"xyz"});
  save(dir / "rows.bin", spec_and_record({{.kind = 0, .fixed = true, .key = "a"},
                                          {.kind = 1, .fixed = true, .key = "b"},
                                          {.kind = 2, .fixed = true, .key = "c"},
                                          {.kind = 0, .fixed = true, .key = "d", .default_byte = 1}},
                                         encode_example(one)));
  save(dir / "empty_spec.bin", spec_and_record({}, record));
}

void sequence_example_seeds(const std::filesystem::path& dir) {
  save(dir / "tokens.pb", encode_sequence_example(small_sequence_example()));
  SequenceExample se;
  se.context["label"] = Feature::int64s({1});
  se.context["weight"] = Feature::floats({0.5f, 2.0f});
  se.context["none"] = Feature{};
  se.feature_lists["frames"] = {Feature::floats({1, 2, 3}), Feature::floats({4, 5, 6})};
  se.feature_lists["empty"] = {};
  se.feature_lists["gaps"] = {Feature{}, Feature::int64s({9})};
  save(dir / "frames.pb", encode_sequence_example(se));
  save(dir / "empty.pb", "");
}

// A saved state of each pipeline at a few positions, after the byte that picks it.
void iterator_state_seeds(const std::filesystem::path& dir) {
  for (int which = 0; which < spool::fuzz::kStatePipelines; ++which) {
    const Dataset ds = spool::fuzz::state_pipeline(which);
    Iterator it = ds.make_iterator();
    int at = 0;
    for (int position : {0, 1, 5, 23}) {
      while (at < position && it.next()) ++at;
      save(dir / ("pipeline" + std::to_string(which) + "_at" + std::to_string(position) + ".state"),
           static_cast<char>(which) + it.save().bytes());
    }
  }
}

// Command lines, one argument per NUL-separated token.
void bench_source_seeds(const std::filesystem::path& dir) {
  const auto command = [](std::vector<std::string> args) {
    std::string out;
    for (const std::string& a : args) out += (out.empty() ? "" : std::string(1, '\0')) + a;
    return out;
  };
  save(dir / "tfrecord.args", command({"--source", "tfrecord:data/*.tfrecord", "--parse", "example", "--batch", "32",
                                       "--prefetch", "auto", "--compression", "gzip", "--json"}));
  save(dir / "idx.args", command({"--source", "idx:images.gz,labels.gz", "--normalize", "0.2860,0.3530",
                                  "--map-parallelism", "2", "--shuffle", "100", "--repeat", "--steps", "50",
                                  "--warmup", "0"}));
  save(dir / "images.args",
       command({"--source", "images:train", "--decode", "--resize", "150x150", "--map-parallelism", "auto"}));
  save(dir / "help.args", command({"--help"}));
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
  image_seeds(dir / "image");
  record_index_seeds(dir / "record_index");
  feature_spec_seeds(dir / "feature_spec");
  sequence_example_seeds(dir / "sequence_example");
  iterator_state_seeds(dir / "iterator_state");
  bench_source_seeds(dir / "bench_source");
  std::cout << "seeds written under " << dir << '\n';
  return 0;
}
