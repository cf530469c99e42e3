// What the `spool convert` tests share: IDX files made byte by byte, the examples of
// a converted folder read back with the library's TFRecord reader and Example parser,
// and dataset_info.json parsed with Boost.JSON.
//
//   write_idx(dir.file("images-idx3-ubyte.gz"), {3, 5, 4}, pixels, /*gzip=*/true);
//   std::vector<data::Example> shard = read_examples(out + "/train-00000-of-00002.tfrecord");
//   EXPECT_EQ(bytes_feature(shard[0], "image/format"), "png");
//
// Thread-safety: plain functions on files the caller owns.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spool/data/io/example.h"

namespace spool::testing {

// An IDX file of u8 values: magic 0x0000080N (N = dims.size()), big-endian extents,
// the data; gzip-compressed when asked.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims, const std::string& data, bool gzip);
// train-images-idx3-ubyte.gz & co. in `dir` (gzip for train, raw for test): image i
// shows class i % 10 as a bright bar; every 10th test label is wrong on purpose.
void write_fashion_files(const std::string& dir, std::uint32_t train_images, std::uint32_t test_images);

// Every record of a TFRecord file (any compression) decoded as a tf.train.Example.
std::vector<data::Example> read_examples(const std::string& path);

// The single value of a bytes or int64 feature; a test failure when it is not one.
std::string bytes_feature(const data::Example& ex, const std::string& key);
std::int64_t int64_feature(const data::Example& ex, const std::string& key);

// The names of the files in `dir`, sorted.
std::vector<std::string> files_in(const std::string& dir);

// The shards of a converted folder with names starting with PREFIX-, sorted, read back.
std::map<std::string, std::vector<data::Example>> read_shards(const std::string& dir, const std::string& prefix);

// The examples of the round-robin shards of one split in their input order: example k
// is record k / N of shard k mod N.
std::vector<data::Example> in_input_order(const std::map<std::string, std::vector<data::Example>>& shards);

boost::json::object read_info(const std::string& dir);

}  // namespace spool::testing
