// window: groups `size` consecutive elements, starting a new window every `shift`
// elements and taking every `stride`-th element inside one, and yields each window
// stacked like batch (component i has shape [size, ...]). tf.data yields nested
// datasets instead; `.window(n, opts)` here equals its `.window(...).flat_map(batch)`.
//
//   Dataset::range(7).window(3, WindowOptions().shift(2))   // [0 1 2] [2 3 4] [4 5 6] [6]
//
// Thread-safety: as every stage (see dataset.h).
#pragma once

#include <cstdint>

#include "spool/data/detail/dataset_node.h"

namespace spool::data {

class WindowOptions {
 public:
  WindowOptions& shift(std::int64_t n);  // default: size
  std::int64_t shift() const { return shift_; }
  WindowOptions& stride(std::int64_t n);  // default 1
  std::int64_t stride() const { return stride_; }
  WindowOptions& drop_remainder(bool on) {
    drop_remainder_ = on;
    return *this;
  }
  bool drop_remainder() const { return drop_remainder_; }

 private:
  std::int64_t shift_ = 0;  // 0: size
  std::int64_t stride_ = 1;
  bool drop_remainder_ = false;
};

}  // namespace spool::data
