// parse_example(spec): a map function that turns a record element (one 1-D u8
// tensor, as TFRecordDataset yields) into a named Element, one component per spec key
// in spec order (tf.data's `.map(lambda r: tf.io.parse_single_example(r, spec))`).
//
//   FeatureSpec spec;
//   spec.add("image/encoded", FixedLen::bytes()).add("label", FixedLen::int64());
//   auto ds = TFRecordDataset(files).map(parse_example(spec));
//   // element["label"] is i64[], element["image/encoded"] a u8 view of the record
//
// Components are the parsed values (see parse_example.h for their shapes). Bytes
// features other than FixedLen shape [] add "<key>/byte_lengths", and VarLen
// feature lists do not occur here. Errors name the key (InvalidArgument) or the byte
// offset (DataLossError); map adds the element index.
// Thread-safety: the returned function may be called from several threads at once.
#pragma once

#include "spool/data/io/feature_spec.h"
#include "spool/data/ops/map.h"

namespace spool::data {

MapFn parse_example(FeatureSpec spec);

namespace detail {
// The spec of a function parse_example() made, or null for any other function: how the
// map + batch fusion (optimizations.h) knows a map parses Examples.
const FeatureSpec* parse_example_spec(const MapFn& fn);
}  // namespace detail

}  // namespace spool::data
