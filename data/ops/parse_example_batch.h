// parse_example_batch: batch and parse_example fused into one stage, for FixedLen
// features: takes batch_size records and parses each straight into the batch's
// tensors, with no tensor per record (tf.data's map_and_batch fusion, or batching
// before a vectorized tf.io.parse_example).
//
//   FeatureSpec spec;
//   spec.add("image/encoded", FixedLen::bytes()).add("label", FixedLen::int64());
//   auto batches = TFRecordDataset(files).parse_example_batch(spec, 256);
//   // batches["image/encoded"]: u8[256, 784]; batches["label"]: i64[256]
//
// Output components are named by the spec keys, in spec order: int64 and float
// FixedLen(S) give [B, ...S]; bytes FixedLen(shape []) gives u8[B, L], which needs every
// value of the batch to have the same length L (otherwise an error naming the record
// and both lengths: use map(parse_example(spec)) and padded_batch then). VarLen and
// bytes FixedLen of rank >= 1 are refused when the stage is made. Missing features take
// the FixedLen default or are an error naming the key and the record. Each record is
// walked by parse_example_row (data/io/example_rows.h); this stage pulls the records
// and assembles the batch.
// Thread-safety: as every stage (see dataset.h).
#pragma once

#include "spool/data/io/feature_spec.h"
#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

// Whether parse_example_batch takes `spec` (every feature FixedLen, bytes of shape []).
bool parse_example_batch_accepts(const FeatureSpec& spec);
// The parse_example_batch stage, for the map + batch fusion (map_node.h).
NodePtr make_parse_example_batch(NodePtr input, FeatureSpec spec, std::int64_t batch_size, bool drop_remainder);

}  // namespace spool::data::detail
