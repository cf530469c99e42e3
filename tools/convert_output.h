// ConvertOutput: the folder `spool convert` writes, filled all or nothing.
//
//   ConvertOutput out("shards", /*overwrite=*/false, {{"train", 8}, {"validation", 2}}, writer_options);
//   out.write(0, record);           // split 0 ("train"): record k goes to shard k % 8
//   out.commit(info);               // closes the shards, writes dataset_info.json
//
// Shards are named PREFIX-00000-of-00008.tfrecord. Every file is written under a
// temporary name beside its final one (TFRecordWriter, AtomicFile) and renamed by
// commit(), the shards first and dataset_info.json last; if anything fails, or the
// object goes away uncommitted, the temporaries are removed, and so are the shards
// commit() had already renamed: the folder never holds part of a run. A non-empty
// folder is refused (UsageError, exit 2) unless `overwrite`; then a successful commit
// also removes the shards of an earlier run that this one did not rewrite.
// Thread-safety: one thread at a time.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/tfrecord_writer.h"

namespace spool::cli {

struct SplitShards {
  std::string prefix;  // "train", "validation", "test"
  int shards = 1;
};

// "train-00003-of-00008.tfrecord"
std::string shard_file_name(std::string_view prefix, int index, int count);

inline constexpr std::string_view kDatasetInfoName = "dataset_info.json";

class ConvertOutput {
 public:
  ConvertOutput(std::string dir, bool overwrite, std::vector<SplitShards> splits, data::WriterOptions options);
  ~ConvertOutput();
  ConvertOutput(const ConvertOutput&) = delete;
  ConvertOutput& operator=(const ConvertOutput&) = delete;

  // Appends to the next shard of `split`, round robin.
  void write(int split, std::string_view record);
  // {"PREFIX": {"examples": N, "shards": [{"file": NAME, "examples": N}, ...]}, ...}
  boost::json::object splits_info() const;
  void commit(const boost::json::object& info);
  void discard() noexcept;
  const std::string& dir() const { return dir_; }

 private:
  struct Split {
    SplitShards names;
    std::vector<data::TFRecordWriter> writers;
    std::int64_t written = 0;
  };
  void remove_stale_shards() const;

  std::string dir_;
  bool overwrite_;
  bool created_dir_ = false;  // removed again (when empty) by discard()
  std::vector<Split> splits_;
  std::vector<std::string> renamed_;  // final paths commit() already renamed into place
  bool committed_ = false;
};

}  // namespace spool::cli
