#include "tools/convert_test_support.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "spool/data/io/tfrecord_reader.h"
#include "test_support.h"

namespace spool::testing {

void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims, const std::string& data, bool gzip) {
  std::string bytes;
  const auto put32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put32(0x00000800u + static_cast<std::uint32_t>(dims.size()));
  for (std::uint32_t d : dims) put32(d);
  bytes += data;
  if (!gzip) {
    write_file(path, bytes);
    return;
  }
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::vector<data::Example> read_examples(const std::string& path) {
  std::vector<data::Example> out;
  data::TFRecordReader reader(path);
  while (std::optional<data::Record> r = reader.next()) out.push_back(data::decode_example(r->data.as_string_view()));
  return out;
}

std::string bytes_feature(const data::Example& ex, const std::string& key) {
  const auto it = ex.features.find(key);
  if (it == ex.features.end() || it->second.bytes_list.size() != 1) {
    ADD_FAILURE() << "no single bytes feature " << key;
    return {};
  }
  return it->second.bytes_list[0];
}

std::int64_t int64_feature(const data::Example& ex, const std::string& key) {
  const auto it = ex.features.find(key);
  if (it == ex.features.end() || it->second.int64_list.size() != 1) {
    ADD_FAILURE() << "no single int64 feature " << key;
    return -1;
  }
  return it->second.int64_list[0];
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::map<std::string, std::vector<data::Example>> read_shards(const std::string& dir, const std::string& prefix) {
  std::map<std::string, std::vector<data::Example>> shards;
  for (const std::string& name : files_in(dir)) {
    if (name.rfind(prefix + "-", 0) == 0) shards[name] = read_examples(dir + "/" + name);
  }
  return shards;
}

std::vector<data::Example> in_input_order(const std::map<std::string, std::vector<data::Example>>& shards) {
  std::vector<const std::vector<data::Example>*> ordered;
  std::size_t total = 0;
  for (const auto& [name, examples] : shards) {
    ordered.push_back(&examples);
    total += examples.size();
  }
  std::vector<data::Example> out;
  for (std::size_t k = 0; k < total; ++k) {
    const std::vector<data::Example>& shard = *ordered[k % ordered.size()];
    const std::size_t at = k / ordered.size();
    if (at >= shard.size()) {
      ADD_FAILURE() << "shard " << k % ordered.size() << " holds " << shard.size() << " records, not round robin";
      return out;
    }
    out.push_back(shard[at]);
  }
  return out;
}

boost::json::object read_info(const std::string& dir) {
  const boost::json::value v = boost::json::parse(read_file(dir + "/dataset_info.json"));
  return v.as_object();
}

}  // namespace spool::testing
