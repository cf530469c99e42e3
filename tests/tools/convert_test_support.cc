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

// The bar of class c lies on rows 2c+4 and 2c+5 over faint deterministic noise; the
// wrong test labels keep the test accuracy below 1, so it prints as "0.XXXX".
void write_fashion_files(const std::string& dir, std::uint32_t train_images, std::uint32_t test_images) {
  const auto images = [](std::uint32_t n) {
    std::string pixels(static_cast<std::size_t>(n) * 28 * 28, '\0');
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t c = i % 10;
      for (std::uint32_t r = 0; r < 28; ++r) {
        for (std::uint32_t col = 0; col < 28; ++col) {
          const bool bar = (r == 2 * c + 4 || r == 2 * c + 5) && col >= 4 && col < 24;
          pixels[(i * 28 + r) * 28 + col] = static_cast<char>(bar ? 230 : (i * 7 + r * 13 + col * 17) % 40);
        }
      }
    }
    return pixels;
  };
  const auto labels = [](std::uint32_t n, bool noisy) {
    std::string out(n, '\0');
    for (std::uint32_t i = 0; i < n; ++i) out[i] = static_cast<char>(noisy && i % 10 == 3 ? (i + 1) % 10 : i % 10);
    return out;
  };
  // Zalando's gzip files for training, the raw ones for testing: the tool takes both.
  write_idx(dir + "/train-images-idx3-ubyte.gz", {train_images, 28, 28}, images(train_images), true);
  write_idx(dir + "/train-labels-idx1-ubyte.gz", {train_images}, labels(train_images, false), true);
  write_idx(dir + "/t10k-images-idx3-ubyte", {test_images, 28, 28}, images(test_images), false);
  write_idx(dir + "/t10k-labels-idx1-ubyte", {test_images}, labels(test_images, true), false);
}

}  // namespace spool::testing
