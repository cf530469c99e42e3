// list_files: the files matching a glob pattern, as a Dataset of file names
// (tf.data.Dataset.list_files), and glob_files, the same as a sorted vector.
//
//   auto files = list_files("shards/train-*.tfrecord", /*shuffle=*/true, /*seed=*/7);
//   auto ds = TFRecordDataset(files);
//
// Patterns use shell globbing (*, ?, [..]) in any path component. No match is an
// error naming the pattern (as TensorFlow). Elements are one 1-D u8 tensor holding the
// path (Element::operator[](0).as_string_view()). With shuffle the order is a pure
// function of (seed, iteration, epoch): a new one per repeat epoch and per iterator of
// the dataset (the k-th uses iteration k, as tf.data's shuffle); without a seed one is
// drawn per pass.
// Shared state: the count of iterators, an IterationCounter the node owns.
// Thread-safety: as every Dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spool/data/dataset.h"

namespace spool::data {

// Sorted matches; throws IoError "list_files: no files match 'x/*.tfrecord'".
std::vector<std::string> glob_files(const std::string& pattern);

Dataset list_files(const std::string& pattern, bool shuffle = true, std::optional<std::uint64_t> seed = std::nullopt);

// A Dataset of the given names, in order (for TFRecordDataset and interleave).
Dataset file_names(std::vector<std::string> files);

}  // namespace spool::data
