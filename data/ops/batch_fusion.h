// Internal: the rewrites of batch (optimizations.h), each beside the stage it makes.
// Each returns the stage that runs batch(batch_size, drop_remainder) over
// rewriting.input(0), or null when it does not apply.
#pragma once

#include <cstdint>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

// The first of the rewrites below that applies (BatchNode::rewritten).
NodePtr fuse_batch(const Rewriting& rewriting, std::int64_t batch_size, bool drop_remainder);

// Map + batch fusion (map_and_batch.cc): parse_example_batch for
// map(parse_example(spec)), map_and_batch for an inline map, the map moved after the
// batch for elementwise functions.
NodePtr fuse_map_and_batch(const Rewriting& rewriting, std::int64_t batch_size, bool drop_remainder);

// Slice + batch fusion (slice_batch.cc): batch over from_tensor_slices, through a
// shuffle and a repeat, gathers the rows itself.
NodePtr fuse_slice_batch(const Rewriting& rewriting, std::int64_t batch_size, bool drop_remainder);

}  // namespace spool::data::detail
