#include "spool/data/options.h"

#include <algorithm>
#include <thread>

#include "spool/tensor/error.h"

namespace spool::data {

Options& Options::max_buffered_bytes(std::int64_t bytes) {
  SPOOL_CHECK(bytes >= 0, InvalidArgument, "Options: max_buffered_bytes must be >= 0 (0 = no limit), got ", bytes);
  max_buffered_bytes_ = bytes;
  return *this;
}

Options& Options::autotune_parallelism(std::int64_t threads) {
  SPOOL_CHECK(threads >= 0 && threads <= 1024, InvalidArgument,
              "Options: autotune_parallelism must be in [0, 1024] (0 = cores), got ", threads);
  autotune_parallelism_ = threads;
  return *this;
}

std::int64_t Options::autotune_parallelism() const {
  if (autotune_parallelism_ > 0) return autotune_parallelism_;
  return std::max<std::int64_t>(1, std::thread::hardware_concurrency());
}

}  // namespace spool::data
