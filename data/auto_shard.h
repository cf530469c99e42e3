// auto_shard: one worker's share of an input pipeline for multi-worker training, as
// tf.data's AutoShardPolicy decides it (tf.data.experimental.AutoShardPolicy).
//
//   AutoShard mine = auto_shard(ds, num_workers, worker_index);   // kAuto
//   log("input sharding: ", mine.reason);   // "FILE: 8 files of file_names (read by tfrecord) over 2 workers, 4 each"
//   for (Element& batch : mine.dataset) train(batch);
//
// - kFile: every list of files in the pipeline (list_files, file_names, the file list
//   a TFRecordDataset reads, ImageFolderDataset) gives worker `index` only files
//   index, index + K, index + 2K, ... of the order it visits (K workers), so each worker
//   opens only its files; every stage downstream keeps its parameters and seeds. A
//   shuffled list must have a seed, so that all workers agree on each pass's order
//   (otherwise files would be read twice or never: an error, as TensorFlow requires the
//   same). Fewer files than workers in a list, or no list, is an error. IdxDataset is
//   not a list: its two files hold one set of examples between them.
// - kData: every worker reads the whole pipeline and keeps elements index, index + K, ...
//   (Dataset::shard). Its random stages need seeds, for the same reason.
// - kAuto: kFile when every list has at least K files, else kData. A list shuffled
//   without a seed is an error here too: neither policy could split it.
// - kOff, or one worker: `ds` unchanged.
// The result is the pipeline built anew (fresh iteration counts and in-memory caches;
// shuffles keep their seeds, drawn ones too): worker k's n-th iterator visits iteration
// n of each shuffle, as every other worker's does, whether the workers share a process
// or not. A file cache(filename) downstream of the shard needs a name per worker.
// With kFile the share is taken right at the file list, so take/skip/shard between a
// list and its reader apply to each worker's files. Cardinality is the worker's where
// it can be known (kFile with a shuffled list: unknown, the files differ per pass).
// Thread-safety: a pure function of its arguments; it may read record indexes (.idx).
#pragma once

#include <cstdint>
#include <string>

#include "spool/data/dataset.h"

namespace spool::data {

enum class AutoShardPolicy { kAuto, kFile, kData, kOff };

struct AutoShard {
  Dataset dataset;          // the worker's share
  AutoShardPolicy applied;  // kFile, kData or kOff
  std::string reason;       // one line for a log: which policy and why
};

// Worker `index` of `num_workers` gets its share of `ds`. Throws InvalidArgument for an
// index outside [0, num_workers) and when kFile cannot apply (saying why).
AutoShard auto_shard(const Dataset& ds, std::int64_t num_workers, std::int64_t index,
                     AutoShardPolicy policy = AutoShardPolicy::kAuto);

}  // namespace spool::data
