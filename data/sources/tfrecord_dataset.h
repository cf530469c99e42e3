// TFRecordDataset: the records of TFRecord files, each a 1-D u8 tensor viewing the
// reader's buffer (zero-copy), file after file or several files read at once.
//
//   auto ds = TFRecordDataset(list_files("train-*.tfrecord", false),
//                             RecordOptions().compression(Compression::kGzip),
//                             /*num_parallel_reads=*/4);
//
// num_parallel_reads > 1 reads that many files at a time on background threads and
// takes one record from each in turn (deterministic, as tf.data's interleave with
// block_length 1). Errors carry the file, the record index and the byte offset;
// corrupt records skipped by the corruption policy are counted in the stage's
// skipped_errors. cardinality() is known when every file has a complete `<file>.idx`
// index (see record_index.h) and unknown otherwise; iterator states record the file
// and the offset of the next record, so resuming seeks instead of re-reading.
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
