// What a fuzz target and fuzz_make_seeds must agree on: the fixed TFRecord stream the
// record_index target reads with fuzzed indexes, the pipelines whose saved iterator
// states the iterator_state target restores (a seed is a state of one of these
// pipelines, so both build them here), and how the feature_spec target spells a
// FeatureSpec in bytes.
// Thread-safety: pure functions, except state_pipeline_tfrecord(), which writes its
// file once per process (atomically, so concurrent fuzz processes may share it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "spool/data/dataset.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/data/sources/tfrecord_dataset.h"

namespace spool::fuzz {

// Records of 0, 1, 5 and 300 bytes.
inline std::string indexed_tfrecord(data::Compression compression) {
  std::ostringstream out;
  data::TFRecordWriter writer(out, data::WriterOptions().compression(compression));
  for (std::size_t size : {0, 1, 5, 300}) writer.write(std::string(size, static_cast<char>('a' + size % 26)));
  writer.close();
  return out.str();
}

// The TFRecord file of the tfrecord pipeline: iterator states name the files they
// read, so its path is the same in every process (the temporary directory's).
inline std::string state_pipeline_tfrecord() {
  static const std::string path = [] {
    const std::string p = (std::filesystem::temp_directory_path() / "spool_fuzz_iterator_state.tfrecord").string();
    data::TFRecordWriter writer(p);
    for (int i = 0; i < 40; ++i) writer.write(std::to_string(100 + i));  // one size: the records batch
    writer.close();
    return p;
  }();
  return path;
}

// A FeatureSpec entry as the feature_spec target reads it:
//   flags            bits 0-1 kind (0 int64, 1 float, 2 and 3 bytes), bit 2 FixedLen,
//                    bit 3 with a default, bits 4-5 rank
//   rank bytes       the dimensions, each byte % 5 (so a FixedLen holds at most 64 values)
//   key length       % 16, then the key's bytes
//   default          one byte: int64 its signed value, float that / 4, bytes that % 4
//                    times 'd'
// `dims` and `default_byte` as they are written (the reader takes them modulo).
struct SpecEntryBytes {
  int kind = 0;
  bool fixed = false;
  std::vector<std::uint8_t> dims;
  std::string key;
  std::optional<std::uint8_t> default_byte;
};

inline std::string encode_spec(const std::vector<SpecEntryBytes>& entries) {
  std::string out;
  for (const SpecEntryBytes& e : entries) {
    out += static_cast<char>(e.kind | (e.fixed ? 4 : 0) | (e.default_byte ? 8 : 0) | (e.dims.size() << 4));
    for (std::uint8_t d : e.dims) out += static_cast<char>(d);
    out += static_cast<char>(e.key.size());
    out += e.key;
    if (e.default_byte) out += static_cast<char>(*e.default_byte);
  }
  return out;
}

inline constexpr int kStatePipelines = 6;

// Pipeline `which` (0 .. kStatePipelines - 1): every stateful stage appears in one.
inline data::Dataset state_pipeline(int which) {
  using data::Dataset;
  using data::Element;
  // Keeps what comes in (a restored buffer may hold anything) and adds a component.
  const data::MapFn tag = [](Element e) {
    std::vector<Tensor> components = std::move(e.components());
    components.push_back(Tensor::scalar<std::int64_t>(1));
    return Element(std::move(components));
  };
  switch (which) {
    case 0:
      return Dataset::range(1000)
          .shuffle(data::ShuffleOptions().buffer_size(16).seed(7))
          .map(tag, data::MapOptions().parallelism(2))
          .batch(4)
          .prefetch(2);
    case 1:
      return Dataset::range(100).skip(3).take(50).repeat(3).shard(2, 1).enumerate(5);
    case 2:
      return Dataset::range(6).interleave(
          [](const Element& e) {
            const std::int64_t i = e[0].item<std::int64_t>() & 7;  // a restored input may hold any value
            return Dataset::range(10 * i, 10 * i + i % 4 + 1);
          },
          data::InterleaveOptions().cycle_length(3).block_length(2).parallelism(2));
    case 3:
      return Dataset::range(20).map(tag).cache().repeat(2).window(3, data::WindowOptions().shift(2));
    case 4:
      return data::TFRecordDataset({state_pipeline_tfrecord(), state_pipeline_tfrecord()}, {}, 2)
          .shuffle(data::ShuffleOptions().buffer_size(4).seed(1))
          .batch(3);
    default:
      return Dataset::range(30)
          .filter([](const Element& e) { return e[0].item<std::int64_t>() % 3 != 0; })
          .zip(Dataset::range(100, 200))
          .concatenate(Dataset::range(5).map(tag))
          .take_while([](const Element& e) { return e.size() > 0; })
          .padded_batch(4)
          .rebatch(3)
          .unbatch();
  }
}

}  // namespace spool::fuzz
