#include "spool/data/sources/seeded_order.h"

#include <random>
#include <string>
#include <utility>

#include "spool/tensor/error.h"
#include "spool/tensor/random.h"

namespace spool::data::detail {

std::vector<std::size_t> seeded_permutation(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  Generator gen(seed, stream);
  for (std::size_t i = n; i > 1; --i) {
    gen.set_position(n - i);
    std::swap(order[i - 1], order[static_cast<std::size_t>(gen.next_u64() % i)]);  // bias < i / 2^64
  }
  return order;
}

ListOrder::ListOrder(std::size_t n, bool shuffle, std::optional<std::uint64_t> seed, IterationCounter& iterations,
                     const IteratorContext& context, std::uint64_t stream)
    : n_(n),
      shuffle_(shuffle),
      stream_(stream),
      iterations_(iterations),
      iteration_(shuffle ? iterations.take(*context.pipeline) : 0),
      seed_(seed ? iteration_seed(*seed, iteration_) : std::random_device{}()) {
  make_order();
}

void ListOrder::make_order() {
  if (shuffle_) {
    order_ = seeded_permutation(n_, seed_, stream_);
  } else {
    order_.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) order_[i] = i;
  }
}

std::optional<std::size_t> ListOrder::next() {
  if (index_ >= n_) return std::nullopt;
  return order_[index_++];
}

void ListOrder::save(StateWriter& writer) const {
  if (shuffle_) IterationCounter::save(writer, iteration_);
  writer.write_u64(seed_);
  writer.write_u64(index_);
}

void ListOrder::restore(StateReader& reader, const IteratorContext& context, std::string_view stage) {
  if (shuffle_) iteration_ = iterations_.restore(reader, *context.pipeline);
  seed_ = reader.read_u64();
  index_ = reader.read_u64();
  SPOOL_CHECK(index_ <= n_, InvalidArgument, std::string(stage), ": saved position ", index_, " is outside [0, ", n_,
              "]");
  make_order();
}

}  // namespace spool::data::detail
