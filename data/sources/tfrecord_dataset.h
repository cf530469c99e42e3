// TFRecordDataset: the records of TFRecord files, each a 1-D u8 tensor viewing the
// reader's buffer (zero-copy), file after file or several files read at once.
//
//   auto ds = TFRecordDataset(list_files("train-*.tfrecord", false),
//                             RecordOptions().compression(Compression::kGzip),
//                             /*num_parallel_reads=*/4);
//
// num_parallel_reads > 1 reads that many files at a time on background threads and
// takes one record from each in turn (deterministic, as tf.data's interleave with
// cycle_length num_parallel_reads and block_length 1: a file that ends leaves its
// place, which the next file name takes; each reader thread reads up to 4 chunks of
// 64 records (or 256 KiB) ahead, their bytes within Options::max_buffered_bytes).
// With num_parallel_reads 2 even a single file is read ahead on a thread of its own.
// File names are read from `filenames` as places open, not all up front.
// Errors carry the file, the record index and the byte offset (the reader's message,
// unchanged); after an error the stage abandons that file and the next call goes on
// with the others (so ignore_errors drops the rest of a corrupt file; the kSkipRecord
// policy keeps its good records). Corrupt records skipped by the corruption policy are
// counted in the stage's skipped_errors; with parallel reads the on_corruption
// callback runs on a reader thread. cardinality() is known when every file has a
// complete `<file>.idx` index (see record_index.h; for an uncompressed file its last
// frame must end where the file does, a compressed file's index is trusted), checked
// when the Dataset is made, and unknown otherwise (always for the Dataset overload);
// iterator states record each open file and the offset of the next record the
// consumer gets, so resuming seeks instead of re-reading.
// With num_parallel_reads > 1, RecordOptions' on_corruption callback runs on the
// reader threads, one call at a time.
// Thread-safety: as every Dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spool/data/dataset.h"
#include "spool/data/io/record_options.h"

namespace spool::data {

Dataset TFRecordDataset(std::vector<std::string> files, RecordOptions options = {},
                        std::int64_t num_parallel_reads = 1);
// `filenames` yields one 1-D u8 path per element, as list_files does.
Dataset TFRecordDataset(const Dataset& filenames, RecordOptions options = {}, std::int64_t num_parallel_reads = 1);

}  // namespace spool::data
