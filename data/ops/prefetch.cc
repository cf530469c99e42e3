// Dataset::prefetch: a background thread computes up to buffer_size elements ahead
// (kAutotune: starts at 1 and grows while the consumer finds the buffer empty, up to
// 64 and within the byte budget). Errors keep their place in the buffer.
#include "spool/data/dataset.h"
#include "spool/data/detail/parallel_iterator.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

constexpr std::int64_t kMaxAutotunePrefetch = 64;

class PrefetchNode : public detail::UnaryNode {
 public:
  PrefetchNode(detail::NodePtr input, std::int64_t buffer_size) : UnaryNode(std::move(input)), buffer_size_(buffer_size) {}
  std::string name() const override { return "prefetch"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<PrefetchNode>(in[0], buffer_size_);
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override {
    detail::ParallelConfig config;
    config.workers = 1;
    config.capacity = buffer_size_ == kAutotune ? 1 : buffer_size_;
    config.max_capacity = buffer_size_ == kAutotune ? kMaxAutotunePrefetch : buffer_size_;
    return std::make_unique<detail::ParallelIterator>(
        *this, context, input(), config,
        [](Element e, std::int64_t) -> std::optional<Element> { return e; });
  }

  const std::int64_t buffer_size_;
};

}  // namespace

Dataset Dataset::prefetch(std::int64_t buffer_size) const {
  SPOOL_CHECK(buffer_size == kAutotune || buffer_size >= 1, InvalidArgument,
              "prefetch: buffer_size must be kAutotune or >= 1, got ", buffer_size);
  return derive(std::make_shared<PrefetchNode>(node_, buffer_size));
}

}  // namespace spool::data
