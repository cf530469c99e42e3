// Stacking elements into batches and slicing batches back, shared by batch, window,
// rebatch and unbatch.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "spool/data/element.h"

namespace spool::data::detail {

// Component k of the result is the components k of `elements` stacked along a new
// axis 0. All elements must have the same structure; otherwise InvalidArgument like
// "batch: component 0 of element #3 in the batch is u8[28,27] but element #0 has
// u8[28,28] (use padded_batch for differing shapes)". Names come from the first.
Element stack_elements(const std::vector<Element>& elements, std::string_view stage);

// Batches of batch_size made of `elements` input elements (a cardinality: negative
// values pass through), the last one kept unless drop_remainder.
inline std::int64_t batched_cardinality(std::int64_t elements, std::int64_t batch_size, bool drop_remainder) {
  if (elements < 0) return elements;
  return drop_remainder ? elements / batch_size : (elements + batch_size - 1) / batch_size;
}

// Rows [begin, end) of every component along axis 0 (views, no copy).
Element slice_rows(const Element& batch, std::int64_t begin, std::int64_t end);
// The extent of axis 0, the same for every component; InvalidArgument otherwise or
// for rank-0 components.
std::int64_t batch_rows(const Element& batch, std::string_view stage);
// Concatenates batches along axis 0 (components must agree past axis 0).
Element concat_rows(const std::vector<Element>& batches, std::string_view stage);

}  // namespace spool::data::detail
