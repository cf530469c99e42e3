// padded_batch: batches elements whose shapes differ, padding each component to the
// largest extent in the batch along every axis (or to padded_shapes when given, -1
// meaning "largest in the batch"), with padding_values (default 0; one value pads every
// component, as tf.data's scalar padding_values).
//
//   ds.padded_batch(32, PaddedBatchOptions().padded_shapes({{-1}, {}}).padding_values({0.0, -1.0}));
//   ds.padded_batch(32, PaddedBatchOptions().padding_values({-1}));   // -1 in every component
//
// Thread-safety: as every stage (see dataset.h).
#pragma once

#include <cstdint>
#include <vector>

#include "spool/data/detail/dataset_node.h"

namespace spool::data {

class PaddedBatchOptions {
 public:
  // One shape per component; empty: pad every axis to the batch's largest extent.
  PaddedBatchOptions& padded_shapes(std::vector<std::vector<std::int64_t>> shapes) {
    padded_shapes_ = std::move(shapes);
    return *this;
  }
  const std::vector<std::vector<std::int64_t>>& padded_shapes() const { return padded_shapes_; }
  // One value per component, or one for all of them; empty: zeros.
  PaddedBatchOptions& padding_values(std::vector<double> values) {
    padding_values_ = std::move(values);
    return *this;
  }
  const std::vector<double>& padding_values() const { return padding_values_; }
  PaddedBatchOptions& drop_remainder(bool on) {
    drop_remainder_ = on;
    return *this;
  }
  bool drop_remainder() const { return drop_remainder_; }

 private:
  std::vector<std::vector<std::int64_t>> padded_shapes_;
  std::vector<double> padding_values_;
  bool drop_remainder_ = false;
};

}  // namespace spool::data
