// ConvertOutput: the folder `spool convert` writes, filled all or nothing.
//
//   const bool made = prepare_output_folder("shards", /*overwrite=*/false);
//   ConvertOutput out("shards", false, made, {{"train", 8}, {"validation", 2}}, writer_options);
//   out.write(0, record);           // split 0 ("train"): record k goes to shard k % 8
//   out.close_shards();             // renames the shards into place
//   out.write_info(info);           // dataset_info.json, last
//
// Shards are named PREFIX-00000-of-00008.tfrecord. Every file is written under a
// temporary name beside its final one (TFRecordWriter, AtomicFile) and renamed by
// close_shards() and write_info(); if anything fails, or the object goes away before
// write_info() or keep(), the temporaries are removed, and so are the shards already
// renamed: the folder never holds part of a run. A non-empty folder is refused
// (UsageError, exit 2) unless `overwrite`; then remove_stale_shards() removes the
// shards of an earlier run that this one did not rewrite, and what a killed run left.
//
// Under mpirun each worker writes its own shards (OutputShare: shard s of every split
// when s mod K is its rank) into the folder worker 0 alone checked and made; the
// workers agree (job_workers.h) before each renames its shards, worker 0 alone writes
// dataset_info.json and the others call keep().
// Thread-safety: one thread at a time.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
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

// Refuses a non-empty `dir` (UsageError) unless `overwrite`, and a `dir` that is not a
// folder (IoError); makes it when missing. Returns true when it made it.
bool prepare_output_folder(const std::string& dir, bool overwrite);

// The shards one process writes: shard s of each split when s mod workers == worker.
struct OutputShare {
  int worker = 0;
  int workers = 1;
  bool owns(int shard) const { return shard % workers == worker; }
};

// {"PREFIX": {"examples": N, "shards": [{"file": NAME, "examples": N}, ...]}, ...} from
// the examples of each shard of each split.
boost::json::object splits_info(const std::vector<SplitShards>& splits,
                                const std::vector<std::vector<std::int64_t>>& shard_examples);

class ConvertOutput {
 public:
  // `dir` is ready (prepare_output_folder; `created_dir` when it made it, so that
  // discard() removes it again); opens the shards of `share` under temporary names.
  ConvertOutput(std::string dir, bool overwrite, bool created_dir, std::vector<SplitShards> splits,
                data::WriterOptions options, OutputShare share = {});
  ~ConvertOutput();
  ConvertOutput(const ConvertOutput&) = delete;
  ConvertOutput& operator=(const ConvertOutput&) = delete;

  // Appends to the next shard of `split`, round robin (one process).
  void write(int split, std::string_view record);
  // Appends to shard `shard` of `split`, which must be in the share.
  void write_to(int split, int shard, std::string_view record);
  // The examples written to each shard of each split (0 for shards of other workers).
  std::vector<std::vector<std::int64_t>> shard_examples() const;
  // Closes this process's shards, renaming them into place (discard() removes them again).
  void close_shards();
  // Writes dataset_info.json and takes the run as done (nothing is discarded after).
  void write_info(const boost::json::object& info);
  // Takes the run as done without writing the info file (the workers other than 0).
  void keep() { committed_ = true; }
  // With overwrite: removes the shards of an earlier run that this job did not write
  // (any worker's), and the temporaries of runs that were killed.
  void remove_stale_shards() const;
  // Removes this process's temporaries and renamed shards.
  void discard_files() noexcept;
  // discard_files(), then the folder itself when this process made it and it is empty.
  void discard() noexcept;
  const std::string& dir() const { return dir_; }

 private:
  struct Split {
    SplitShards names;
    std::vector<std::optional<data::TFRecordWriter>> writers;  // empty: another worker's shard
    std::int64_t written = 0;
  };
  void open_writers(std::vector<SplitShards> splits, const data::WriterOptions& options);

  std::string dir_;
  bool overwrite_;
  bool created_dir_ = false;  // removed again (when empty) by discard()
  OutputShare share_;
  std::vector<Split> splits_;
  std::vector<std::string> renamed_;  // final paths commit() already renamed into place
  bool committed_ = false;  // write_info() or keep(): the destructor leaves the files
};

}  // namespace spool::cli
