// example_rows: one serialized tf.train.Example parsed straight into a row of a batch's
// buffers, for a spec of FixedLen features only (bytes ones of shape []). What
// parse_example_batch (data/ops/) runs per record; no tensor is made per record.
//
//   std::vector<FeatureColumn> columns(spec.size());   // per spec entry, spec order
//   columns[0].int64s = labels.data<std::int64_t>();    // rows x numel values
//   columns[1].bytes = images.data();                   // one std::string_view per row
//   std::vector<char> seen(spec.size());
//   std::size_t hint = 0;                               // carried from record to record
//   for (std::int64_t r = 0; r < rows; ++r) {
//     parse_example_row(records[r], spec, {columns, r, seen}, hint, {"my_stage", first + r});
//   }
//
// Two walks of the same bytes:
// - read_example_row_fast takes the layout TensorFlow's writers and ours produce
//   (Features entries of (key, value), each Feature with one list field, numeric values
//   in packed runs, each spec key at most once, the spec's kinds and counts) and returns
//   false for anything else, without saying why.
// - read_example_row applies protobuf's merge rules (as for_each_feature) and throws
//   what is wrong: InvalidArgument "<who>: feature 'k' of record #i expected int64 with
//   1 values, found float_list with 3 values", DataLossError with the offset for
//   malformed bytes.
// Both validate features outside the spec as the general parser does. After a false
// from the fast walk the row holds partial values; read_example_row rewrites it whole.
// Bytes values are views into the record: valid for as long as its bytes are.
// Thread-safety: pure functions; concurrent calls need distinct rows, seen and hint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "spool/data/io/feature_spec.h"

namespace spool::data {

// One feature's column of a batch: the values of row r start at r * numel.
struct FeatureColumn {
  std::int64_t* int64s = nullptr;     // kInt64
  float* floats = nullptr;            // kFloat
  std::string_view* bytes = nullptr;  // kBytes: one view per row
};

// The row a record fills: columns[f] for spec entry f, and seen[f] set to 1 when the
// record holds feature f (both spans have spec.size() entries; seen is cleared first).
struct ExampleRow {
  std::span<const FeatureColumn> columns;
  std::int64_t row = 0;
  std::span<char> seen;
};

// Who parses which record, for messages: "<who>: ... record #<index>".
struct RecordContext {
  std::string_view who;
  std::int64_t index = 0;
};

// `hint` is the spec index after the last feature matched: records usually list their
// features in the same order, so the next key is looked for there first.
bool read_example_row_fast(std::string_view record, const FeatureSpec& spec, const ExampleRow& out,
                           std::size_t& hint);
void read_example_row(std::string_view record, const FeatureSpec& spec, const ExampleRow& out,
                      const RecordContext& where);
// The fast walk, else the general one, then each feature the record lacks: its FixedLen
// default, or InvalidArgument "<who>: required feature 'k' is missing in record #i".
void parse_example_row(std::string_view record, const FeatureSpec& spec, const ExampleRow& out, std::size_t& hint,
                       const RecordContext& where);

}  // namespace spool::data
