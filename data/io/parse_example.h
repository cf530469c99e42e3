// parse_example: a serialized tf.train.Example -> named Tensors, against a FeatureSpec
// (like tf.io.parse_single_example); parse_sequence_example likewise for
// tf.train.SequenceExample (like tf.io.parse_single_sequence_example).
//
//   FeatureSpec spec;
//   spec.add("label", FixedLen::int64()).add("image/encoded", FixedLen::bytes());
//   Tensor record = ...;                               // 1-D u8, e.g. from a TFRecord reader
//   ParsedExample ex = parse_example(record, spec);
//   std::int64_t label = ex["label"].item<std::int64_t>();
//   std::string_view jpeg = ex["image/encoded"].as_string_view();   // no copy
//
// Output, per spec key, in spec order (ParsedFeature):
//   int64 / float FixedLen(shape S)   values: i64 / f32 tensor of shape S
//   int64 / float VarLen              values: 1-D [n]
//   bytes FixedLen(shape [])          values: 1-D u8 [length of the one value]. When the
//                                     record is a Tensor this is a VIEW of the record's
//                                     Storage (zero-copy; it keeps the record alive).
//   bytes FixedLen(shape S), rank>=1  values: 1-D u8, the values concatenated in order;
//                                     byte_lengths: i64 of shape S, one length per value
//   bytes VarLen                      values: 1-D u8 concatenated; byte_lengths: i64 [n]
// Sequence feature lists (steps = number of Features in the FeatureList):
//   int64 / float FixedLen(S)         values: [steps, ...S]
//   bytes FixedLen(S)                 values: 1-D u8 concatenated; byte_lengths: [steps, ...S]
//   int64 / float VarLen              values: 1-D [total]; row_lengths: i64 [steps]
//   bytes VarLen                      values: u8 concatenated; byte_lengths: i64 [total];
//                                     row_lengths: i64 [steps]
// A missing feature list has 0 steps. Tensors not listed for a case are undefined.
//
// Rules: a missing key (or a Feature with no kind set, which TensorFlow treats as
// missing) takes the FixedLen default, is an error without one, and is empty for VarLen.
// Errors are InvalidArgument naming the key, what was expected and what was found:
//   parse_example: feature 'label' expected int64 with 1 value (shape []), found
//   float_list with 3 values
//   parse_example: required feature 'label' is missing
// Malformed bytes are DataLossError with the byte offset (see protobuf_wire.h).
// Thread-safety: pure functions; results are independent values (bytes views share the
// record's storage read-only).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/feature_spec.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

struct ParsedFeature {
  Tensor values;
  Tensor byte_lengths;  // bytes features other than FixedLen shape []
  Tensor row_lengths;   // VarLen feature lists
};

class ParsedExample {
 public:
  ParsedExample() = default;
  ParsedExample(std::shared_ptr<const detail::FeatureSpecTable> spec, std::vector<ParsedFeature> features);

  std::size_t size() const { return features_.size(); }
  const std::string& key(std::size_t i) const;
  const ParsedFeature& feature(std::size_t i) const;
  // Throws InvalidArgument when `key` is not in the spec.
  const ParsedFeature& feature(std::string_view key) const;
  const Tensor& operator[](std::string_view key) const { return feature(key).values; }

 private:
  std::shared_ptr<const detail::FeatureSpecTable> spec_;
  std::vector<ParsedFeature> features_;
};

struct ParsedSequenceExample {
  ParsedExample context;
  ParsedExample feature_lists;
};

// Copies what it keeps out of `record` (bytes values included).
ParsedExample parse_example(std::string_view record, const FeatureSpec& spec);
// `record` is a contiguous 1-D u8 tensor; scalar bytes features view its storage.
ParsedExample parse_example(const Tensor& record, const FeatureSpec& spec);

ParsedSequenceExample parse_sequence_example(std::string_view record, const FeatureSpec& context,
                                             const FeatureSpec& feature_lists);
ParsedSequenceExample parse_sequence_example(const Tensor& record, const FeatureSpec& context,
                                             const FeatureSpec& feature_lists);

}  // namespace spool::data
