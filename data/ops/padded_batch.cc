#include "spool/data/ops/padded_batch.h"

#include <algorithm>
#include <cstring>

#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

std::string shape_string(const std::vector<std::int64_t>& dims) { return Shape(dims).to_string(); }

// Copies contiguous `src` into row `row` of contiguous `out`, whose rows have shape
// `padded` (each extent >= src's), at the origin of every axis.
void copy_padded(const Tensor& src, const std::vector<std::int64_t>& padded, Tensor& out, std::int64_t row) {
  const std::size_t esize = src.element_size();
  auto* dst =
      static_cast<std::uint8_t*>(out.raw_data()) + row * Shape(padded).numel() * static_cast<std::int64_t>(esize);
  if (src.numel() == 0) return;
  const auto* from = static_cast<const std::uint8_t*>(src.raw_data());
  const std::vector<std::int64_t>& dims = src.shape().dims();
  if (dims.empty()) {
    std::memcpy(dst, from, esize);
    return;
  }
  const std::size_t r = dims.size();
  std::vector<std::int64_t> stride(r, 1);  // of `padded`, in elements
  for (std::size_t a = r - 1; a > 0; --a) stride[a - 1] = stride[a] * padded[a];
  const std::size_t inner = static_cast<std::size_t>(dims[r - 1]) * esize;
  std::vector<std::int64_t> index(r, 0);  // of the current innermost row; index[r - 1] stays 0
  for (std::int64_t n = src.numel() / dims[r - 1]; n > 0; --n) {
    std::int64_t at = 0;
    for (std::size_t a = 0; a + 1 < r; ++a) at += index[a] * stride[a];
    std::memcpy(dst + at * static_cast<std::int64_t>(esize), from, inner);
    from += inner;
    for (std::size_t a = r - 1; a > 0 && ++index[a - 1] == dims[a - 1]; --a) index[a - 1] = 0;
  }
}

class PaddedBatchNode : public detail::UnaryNode {
 public:
  PaddedBatchNode(detail::NodePtr input, std::int64_t batch_size, PaddedBatchOptions options)
      : UnaryNode(std::move(input)), batch_size_(batch_size), options_(std::move(options)) {}
  std::string name() const override { return "padded_batch"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<PaddedBatchNode>(in[0], batch_size_, options_);
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input()->cardinality();
    if (n < 0) return n;
    return options_.drop_remainder() ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
  }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  // Component k of `elements`, each padded to the target shape, stacked.
  Tensor pad_component(const std::vector<Element>& elements, std::size_t k) const {
    const Tensor& head = elements[0][k];
    std::vector<std::int64_t> target(static_cast<std::size_t>(head.rank()), 0);
    for (std::size_t i = 0; i < elements.size(); ++i) {
      const Tensor& t = elements[i][k];
      SPOOL_CHECK(t.defined() && t.dtype() == head.dtype() && t.rank() == head.rank(), InvalidArgument,
                  "padded_batch: component ", k, " of element #", i, " in the batch is ",
                  describe_structure(Element{t}), " but element #0 has ", describe_structure(Element{head}),
                  " (dtypes and ranks must agree)");
      for (std::size_t a = 0; a < target.size(); ++a)
        target[a] = std::max(target[a], t.dim(static_cast<std::int64_t>(a)));
    }
    if (!options_.padded_shapes().empty()) {
      const std::vector<std::int64_t>& wanted = options_.padded_shapes()[k];
      SPOOL_CHECK(wanted.size() == target.size(), InvalidArgument, "padded_batch: component ", k, " has rank ",
                  target.size(), " (", describe_structure(Element{head}), ") but its padded shape ",
                  shape_string(wanted), " has rank ", wanted.size());
      for (std::size_t a = 0; a < target.size(); ++a) {
        if (wanted[a] < 0) continue;
        for (std::size_t i = 0; i < elements.size(); ++i) {
          SPOOL_CHECK(elements[i][k].dim(static_cast<std::int64_t>(a)) <= wanted[a], InvalidArgument,
                      "padded_batch: component ", k, " of element #", i, " in the batch has shape ",
                      elements[i][k].shape().to_string(), ", larger than its padded shape ", shape_string(wanted));
        }
        target[a] = wanted[a];
      }
    }
    const std::vector<double>& values = options_.padding_values();
    const double value = values.empty() ? 0.0 : values[values.size() == 1 ? 0 : k];
    std::vector<std::int64_t> dims{static_cast<std::int64_t>(elements.size())};
    dims.insert(dims.end(), target.begin(), target.end());
    Tensor out = Tensor::full(Shape(dims), value, head.dtype());
    for (std::size_t i = 0; i < elements.size(); ++i) {
      copy_padded(elements[i][k].contiguous(), target, out, static_cast<std::int64_t>(i));
    }
    return out;
  }

  const std::int64_t batch_size_;
  const PaddedBatchOptions options_;
};

class PaddedBatchIterator : public detail::UnaryIterator {
 public:
  PaddedBatchIterator(const PaddedBatchNode& node, const detail::IteratorContext& context)
      : UnaryIterator(node, context), node_(node) {}

 private:
  std::optional<Element> get_next() override {
    std::vector<Element> elements;
    while (static_cast<std::int64_t>(elements.size()) < node_.batch_size_) {
      std::optional<Element> e = pull(input());
      if (!e) break;
      elements.push_back(std::move(*e));
    }
    if (elements.empty()) return std::nullopt;
    if (node_.options_.drop_remainder() && static_cast<std::int64_t>(elements.size()) < node_.batch_size_) {
      return std::nullopt;
    }
    const Element& first = elements[0];
    check_count(node_.options_.padded_shapes().size(), "padded shapes", first, /*one_for_all=*/false);
    check_count(node_.options_.padding_values().size(), "padding values", first, /*one_for_all=*/true);
    for (std::size_t i = 1; i < elements.size(); ++i) {
      SPOOL_CHECK(elements[i].size() == first.size(), InvalidArgument, "padded_batch: element #", i,
                  " in the batch has ", elements[i].size(), " components (", describe_structure(elements[i]),
                  ") but element #0 has ", first.size(), " (", describe_structure(first), ")");
    }
    std::vector<Tensor> out;
    for (std::size_t k = 0; k < first.size(); ++k) out.push_back(node_.pad_component(elements, k));
    return Element(std::move(out), first.shared_names());
  }
  // An option list is empty (the default) or has one entry per component, or one entry
  // for all of them when `one_for_all`.
  static void check_count(std::size_t n, const char* what, const Element& e, bool one_for_all) {
    SPOOL_CHECK(n == 0 || n == e.size() || (one_for_all && n == 1), InvalidArgument, "padded_batch: ", n, " ", what,
                " for ", e.size(), " components (", describe_structure(e), ")");
  }

  const PaddedBatchNode& node_;
};

std::unique_ptr<detail::IteratorBase> PaddedBatchNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<PaddedBatchIterator>(*this, context);
}

}  // namespace

Dataset Dataset::padded_batch(std::int64_t batch_size, PaddedBatchOptions options) const {
  SPOOL_CHECK(batch_size >= 1, InvalidArgument, "padded_batch: batch_size must be >= 1, got ", batch_size);
  for (const auto& shape : options.padded_shapes()) {
    for (std::int64_t d : shape) {
      SPOOL_CHECK(d >= -1, InvalidArgument, "padded_batch: padded shape ", shape_string(shape), " has extent ", d,
                  "; extents are >= 0, or -1 for the batch's largest");
    }
  }
  return derive(std::make_shared<PaddedBatchNode>(node_, batch_size, std::move(options)));
}

}  // namespace spool::data
