#include "spool/data/ops/window.h"

#include <algorithm>
#include <deque>

#include "spool/data/dataset.h"
#include "spool/data/detail/stack.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

// Window k holds input elements k*shift + j*stride for j in [0, size). The iterator
// keeps the input elements from the current window's start up to its last one (a
// span of (size - 1) * stride + 1), and drops `shift` of them after each window.
class WindowNode : public detail::UnaryNode {
 public:
  WindowNode(detail::NodePtr input, std::int64_t size, WindowOptions options)
      : UnaryNode(std::move(input)),
        size_(size),
        shift_(options.shift() ? options.shift() : size),
        stride_(options.stride()),
        drop_remainder_(options.drop_remainder()) {}
  std::string name() const override { return "window"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<WindowNode>(in[0], size_,
                                        WindowOptions().shift(shift_).stride(stride_).drop_remainder(drop_remainder_));
  }
  std::int64_t cardinality() const override {  // as tf.data
    const std::int64_t n = input()->cardinality();
    if (n < 0) return n;
    if (!drop_remainder_) return n / shift_ + (n % shift_ ? 1 : 0);
    const std::int64_t rest = n - span();
    return rest >= 0 ? rest / shift_ + 1 : 0;
  }
  std::int64_t span() const { return (size_ - 1) * stride_ + 1; }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const std::int64_t size_;
  const std::int64_t shift_;
  const std::int64_t stride_;
  const bool drop_remainder_;
};

class WindowIterator : public detail::UnaryIterator {
 public:
  WindowIterator(const WindowNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    while (!input_done_ && (to_skip_ > 0 || buffered() < node_.span())) {
      std::optional<Element> e = pull(input());
      if (!e) {
        input_done_ = true;
      } else if (to_skip_ > 0) {
        --to_skip_;
      } else {
        buffer_.push_back(std::move(*e));
      }
    }
    // A short window is the last ones' start: with drop_remainder none of them is full.
    if (buffer_.empty() || (node_.drop_remainder_ && buffered() < node_.span())) {
      buffer_.clear();
      return std::nullopt;
    }
    std::vector<Element> window;
    for (std::int64_t j = 0; j < node_.size_ && j * node_.stride_ < buffered(); ++j) {
      window.push_back(buffer_[static_cast<std::size_t>(j * node_.stride_)]);
    }
    const std::int64_t drop = std::min(node_.shift_, buffered());
    buffer_.erase(buffer_.begin(), buffer_.begin() + drop);
    to_skip_ = node_.shift_ - drop;
    return detail::stack_elements(window, "window");
  }
  std::int64_t buffered() const { return static_cast<std::int64_t>(buffer_.size()); }

  void save(StateWriter& writer) override {
    writer.write_bool(input_done_);
    writer.write_i64(to_skip_);
    writer.write_i64(buffered());
    for (const Element& e : buffer_) writer.write_element(e);
    UnaryIterator::save(writer);
  }
  void restore(StateReader& reader) override {
    input_done_ = reader.read_bool();
    to_skip_ = reader.read_i64();
    const std::int64_t n = reader.read_i64();
    SPOOL_CHECK(n >= 0 && n <= node_.span(), DataLossError, "window: saved buffer of ", n,
                " elements exceeds the window's span ", node_.span());
    buffer_.clear();
    for (std::int64_t i = 0; i < n; ++i) buffer_.push_back(reader.read_element());
    UnaryIterator::restore(reader);
  }

  const WindowNode& node_;
  std::deque<Element> buffer_;  // input elements from the current window's start
  std::int64_t to_skip_ = 0;    // input elements between the buffer and the next window's start
  bool input_done_ = false;
};

std::unique_ptr<detail::IteratorBase> WindowNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<WindowIterator>(*this, context);
}

}  // namespace

WindowOptions& WindowOptions::shift(std::int64_t n) {
  SPOOL_CHECK(n >= 1, InvalidArgument, "window: shift must be >= 1, got ", n);
  shift_ = n;
  return *this;
}

WindowOptions& WindowOptions::stride(std::int64_t n) {
  SPOOL_CHECK(n >= 1, InvalidArgument, "window: stride must be >= 1, got ", n);
  stride_ = n;
  return *this;
}

Dataset Dataset::window(std::int64_t size, WindowOptions options) const {
  SPOOL_CHECK(size >= 1, InvalidArgument, "window: size must be >= 1, got ", size);
  return derive(std::make_shared<WindowNode>(node_, size, options));
}

}  // namespace spool::data
