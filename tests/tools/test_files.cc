#include "tools/test_files.h"

#include "spool/data/io/tfrecord_writer.h"
#include "test_support.h"

namespace spool::testing {

data::RecordIndex write_records(const std::string& path, const std::vector<std::string>& payloads,
                                data::Compression compression) {
  data::TFRecordWriter writer(path, data::WriterOptions().compression(compression));
  for (const std::string& payload : payloads) writer.write(payload);
  writer.close();
  return writer.index();
}

void flip_byte(const std::string& path, std::uint64_t offset) {
  std::string bytes = read_file(path);
  bytes.at(offset) = static_cast<char>(~static_cast<unsigned char>(bytes.at(offset)));
  write_file(path, bytes);
}

data::Example labelled_example(std::int64_t label) {
  data::Example ex;
  ex.features["label"] = data::Feature::int64s({label});
  ex.features["name"] = data::Feature::bytes({"item-" + std::to_string(label)});
  return ex;
}

std::vector<std::string> labelled_examples(int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(data::encode_example(labelled_example(i)));
  return out;
}

}  // namespace spool::testing
