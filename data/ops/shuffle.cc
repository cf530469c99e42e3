#include "spool/data/ops/shuffle.h"

#include <algorithm>
#include <array>
#include <random>

#include "spool/data/dataset.h"
#include "spool/data/detail/iteration_counter.h"
#include "spool/data/ops/shuffle_node.h"
#include "spool/tensor/error.h"
#include "spool/tensor/random.h"

namespace spool::data {
namespace {

std::uint64_t random_seed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

using detail::ShuffleNode;

class ShuffleIterator : public detail::UnaryIterator {
 public:
  ShuffleIterator(const ShuffleNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context),
        node_(node),
        reshuffle_(node.options().reshuffle_each_iteration()),
        seed_(node.seed()),
        iteration_(reshuffle_ ? node.iteration_counter()->take(*context.pipeline) : 0),
        stream_(reshuffle_ ? context.epoch : 0),
        order_seed_(detail::shuffle_order_seed(node, seed_, iteration_)) {}
  ~ShuffleIterator() override { budget().release(buffer_bytes_); }

 private:
  void fill() {
    while (!input_done_ && static_cast<std::int64_t>(buffer_.size()) < node_.options().buffer_size()) {
      // A full byte budget makes the buffer stop growing; it always holds one element.
      if (!buffer_.empty() && !budget().has_room(buffer_bytes_ / static_cast<std::int64_t>(buffer_.size()))) break;
      std::optional<Element> e = pull(input());
      if (!e) {
        input_done_ = true;
        break;
      }
      const std::int64_t bytes = e->byte_size();
      budget().try_acquire(bytes, /*holds_nothing=*/true);
      buffer_bytes_ += bytes;
      buffer_.push_back(std::move(*e));
    }
  }

  std::optional<Element> get_next() override {
    fill();
    if (buffer_.empty()) return std::nullopt;
    const std::uint64_t r = draw(draws_++);
    const auto j = static_cast<std::size_t>(r % buffer_.size());  // bias < size / 2^64
    Element out = std::move(buffer_[j]);
    if (j + 1 != buffer_.size()) buffer_[j] = std::move(buffer_.back());
    buffer_.pop_back();
    const std::int64_t bytes = out.byte_size();
    buffer_bytes_ -= bytes;
    budget().release(bytes);
    prefetch_ahead();
    return out;
  }

  // Draw k uses Philox block k of stream `epoch` under the iteration's seed: a pure
  // function of (seed, iteration, epoch, k). The next kAhead values are kept, as
  // prefetch_ahead() computes them early.
  std::uint64_t draw(std::uint64_t k) {
    Ahead& slot = ahead_[k % kAhead];
    if (slot.draw != k) slot = {k, detail::shuffle_draw(order_seed_, stream_, k)};
    return slot.value;
  }

  // A drawn element sits at a random place in a buffer far larger than the caches:
  // reading it (its size for the statistics, then its tensors and their bytes in the
  // next stage) was a chain of three cache misses per element. The draws are known in
  // advance, so their memory is fetched a few draws early, one link of the chain per
  // draw: the element 3 draws ahead, the tensors of the one 2 ahead, the bytes of the
  // next one. A guess can be wrong (the slot refilled in between): that only wastes a
  // prefetch, the draws themselves are not changed.
  void prefetch_ahead() {
    if (buffer_.empty()) return;
    for (std::uint64_t d = kAhead; d >= 1; --d) {
      // The buffer size at draw draws_ + d - 1, when it stays full or drains as now.
      const std::size_t size = input_done_ ? buffer_.size() - std::min<std::size_t>(buffer_.size(), d - 1)
                                           : static_cast<std::size_t>(node_.options().buffer_size());
      if (size == 0) continue;
      const auto j = static_cast<std::size_t>(draw(draws_ + d - 1) % size);
      if (j >= buffer_.size()) continue;
      const Element& e = buffer_[j];
      if (d == kAhead) {
        __builtin_prefetch(&e);
      } else if (d == 2) {
        const std::vector<Tensor>& components = e.components();
        const auto* first = reinterpret_cast<const char*>(components.data());
        const auto* last = reinterpret_cast<const char*>(components.data() + components.size());
        for (const char* p = first; p < last; p += 64) __builtin_prefetch(p);
      } else {
        for (const Tensor& t : e) {
          if (!t.defined() || !t.is_contiguous()) continue;
          const auto* data = static_cast<const char*>(t.raw_data());
          const auto n = std::min<std::size_t>(static_cast<std::size_t>(t.numel()) * t.element_size(), kPrefetchBytes);
          for (std::size_t b = 0; b < n; b += 64) __builtin_prefetch(data + b);
        }
      }
    }
  }

  void save(StateWriter& writer) override {
    writer.write_u64(seed_);
    detail::IterationCounter::save(writer, iteration_);
    writer.write_u64(stream_);
    writer.write_u64(draws_);
    writer.write_bool(input_done_);
    writer.write_i64(static_cast<std::int64_t>(buffer_.size()));
    for (const Element& e : buffer_) writer.write_element(e);
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    seed_ = reader.read_u64();
    // Later passes of this pipeline (a repeat above) use the saved iteration too.
    iteration_ = reshuffle_ ? node_.iteration_counter()->restore(reader, *context().pipeline) : reader.read_u64();
    stream_ = reader.read_u64();
    order_seed_ = detail::shuffle_order_seed(node_, seed_, iteration_);
    ahead_ = {};  // computed for the old seed, iteration and stream
    draws_ = reader.read_u64();
    input_done_ = reader.read_bool();
    const std::int64_t n = reader.read_i64();
    SPOOL_CHECK(n >= 0 && n <= node_.options().buffer_size(), DataLossError, "shuffle: saved buffer of ", n,
                " elements exceeds buffer_size ", node_.options().buffer_size());
    budget().release(buffer_bytes_);
    buffer_.clear();
    buffer_bytes_ = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      buffer_.push_back(reader.read_element());
      buffer_bytes_ += buffer_.back().byte_size();
    }
    budget().try_acquire(buffer_bytes_, /*holds_nothing=*/true);
    UnaryIterator::restore(reader);
  }

  static constexpr std::uint64_t kAhead = 3;
  static constexpr std::size_t kPrefetchBytes = 2048;  // of each tensor of the next element
  struct Ahead {
    std::uint64_t draw = ~std::uint64_t{0};
    std::uint64_t value = 0;
  };

  const ShuffleNode& node_;
  const bool reshuffle_;
  std::array<Ahead, kAhead> ahead_{};  // draw values computed early; not state (recomputable)
  std::uint64_t seed_;       // the node's, or a restored iterator's
  std::uint64_t iteration_;  // 0 without reshuffle_each_iteration
  std::uint64_t stream_;
  std::uint64_t order_seed_;  // of seed_ and iteration_
  std::uint64_t draws_ = 0;
  bool input_done_ = false;
  std::vector<Element> buffer_;
  std::int64_t buffer_bytes_ = 0;
};

}  // namespace

namespace detail {

ShuffleNode::ShuffleNode(NodePtr input, ShuffleOptions options)
    : UnaryNode(std::move(input)), options_(options), seed_(options.seed() ? *options.seed() : random_seed()) {}

NodePtr ShuffleNode::with_inputs(std::vector<NodePtr> in) const {
  return std::make_shared<ShuffleNode>(in[0], ShuffleOptions(options_).seed(seed_));
}

std::unique_ptr<IteratorBase> ShuffleNode::make_iterator(const IteratorContext& context) const {
  return std::make_unique<ShuffleIterator>(*this, context);
}

std::uint64_t shuffle_order_seed(const ShuffleNode& node, std::uint64_t seed, std::uint64_t iteration) {
  return node.options().reshuffle_each_iteration() ? iteration_seed(seed, iteration) : seed;
}

std::uint64_t shuffle_draw(std::uint64_t order_seed, std::uint64_t stream, std::uint64_t k) {
  Generator gen(order_seed, stream);
  gen.set_position(k);
  return gen.next_u64();
}

}  // namespace detail

ShuffleOptions& ShuffleOptions::buffer_size(std::int64_t n) {
  SPOOL_CHECK(n >= 1, InvalidArgument, "shuffle: buffer_size must be >= 1, got ", n);
  buffer_size_ = n;
  return *this;
}

Dataset Dataset::shuffle(ShuffleOptions options) const {
  return derive(std::make_shared<ShuffleNode>(node_, options));
}

Dataset Dataset::shuffle(std::int64_t buffer_size, std::optional<std::uint64_t> seed) const {
  ShuffleOptions options;
  options.buffer_size(buffer_size);
  if (seed) options.seed(*seed);
  return shuffle(options);
}

}  // namespace spool::data
