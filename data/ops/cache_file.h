// Internal: the iterator behind Dataset::cache(filename).
//
// The file is a TFRecord file (tfrecord_format.h) whose records are IteratorState
// byte strings (iterator_state.h: versioned, CRC-checked): a header record
// ("spool.cache", version 1), one record per element, and a trailer record holding
// the element count. Only the trailer makes a file complete.
//
// A pass that finds the file reads it and never its input. Otherwise it reads the
// input and writes the file, which appears (under a temporary name until then) when
// the pass reaches its end; later passes and later runs, of this Dataset or of one
// built anew, then read it. A writing pass destroyed before its end leaves no file.
// Input errors pass through and are not written.
// A file that is not whole (truncated, corrupted, without its trailer, not a cache
// file) is a DataLossError naming the file, after which the pass ends. It is never
// rebuilt silently: files appear whole, so such a file was damaged afterwards; delete
// it to rebuild.
// State: a reading pass saves its record position and resumes by seeking there. A
// writing pass saves its input's state; resumed, it goes on reading the input without
// writing (the elements before the cut are not at hand), and the file is written by
// the next pass that runs from its start.
// Thread-safety: as any iterator (one consumer at a time).
#pragma once

#include <memory>
#include <string>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

std::unique_ptr<IteratorBase> make_file_cache_iterator(const DatasetNode& node, const NodePtr& input,
                                                       const std::string& filename, const IteratorContext& context);

}  // namespace spool::data::detail
