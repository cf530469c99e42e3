// Tensor views: new shape/strides/offset over the same storage, no bytes copied.
#include <algorithm>
#include <numeric>

#include "spool/tensor/tensor.h"

namespace spool {

Tensor Tensor::with_layout(Shape shape, std::vector<std::int64_t> strides, std::int64_t offset) const {
  Tensor view = *this;
  view.shape_ = std::move(shape);
  view.strides_ = std::move(strides);
  view.offset_ = offset;
  return view;
}

std::int64_t Tensor::normalize_axis(std::int64_t axis, std::int64_t rank_plus, const char* op) const {
  const std::int64_t r = rank() + rank_plus;
  SPOOL_CHECK(axis >= -r && axis < r, OutOfRange, op, ": axis ", axis, " out of range for shape ", shape_.to_string());
  return axis < 0 ? axis + r : axis;
}

std::int64_t Tensor::element_offset(std::initializer_list<std::int64_t> index) const {
  SPOOL_CHECK(static_cast<std::int64_t>(index.size()) == rank(), InvalidArgument, "at: ", index.size(),
              " indices for shape ", shape_.to_string());
  std::int64_t at = 0;
  std::size_t a = 0;
  for (std::int64_t i : index) {
    const std::int64_t extent = shape_.dims()[a];
    SPOOL_CHECK(i >= 0 && i < extent, OutOfRange, "at: index ", i, " out of range [0, ", extent, ") on axis ", a,
                " of shape ", shape_.to_string());
    at += i * strides_[a++];
  }
  return at;
}

Tensor Tensor::narrow(std::int64_t axis, std::int64_t start, std::int64_t length) const {
  const auto a = static_cast<std::size_t>(normalize_axis(axis, 0, "narrow"));
  const std::int64_t extent = shape_.dims()[a];
  SPOOL_CHECK(start >= 0 && length >= 0 && start <= extent && length <= extent - start, OutOfRange, "narrow: [",
              start, ", ", start + length, ") out of range [0, ", extent, ") on axis ", a, " of shape ",
              shape_.to_string());
  std::vector<std::int64_t> dims = shape_.dims();
  dims[a] = length;
  return with_layout(Shape(std::move(dims)), strides_, offset_ + start * strides_[a]);
}

Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t end, std::int64_t step) const {
  const auto a = static_cast<std::size_t>(normalize_axis(axis, 0, "slice"));
  SPOOL_CHECK(step > 0, InvalidArgument, "slice: step ", step, " must be positive");
  const std::int64_t extent = shape_.dims()[a];
  auto clamp = [&](std::int64_t i) { return std::clamp<std::int64_t>(i < 0 ? i + extent : i, 0, extent); };
  start = clamp(start);
  end = std::max(clamp(end), start);
  std::vector<std::int64_t> dims = shape_.dims();
  std::vector<std::int64_t> strides = strides_;
  dims[a] = (end - start + step - 1) / step;
  strides[a] *= step;
  return with_layout(Shape(std::move(dims)), std::move(strides), offset_ + start * strides_[a]);
}

Tensor Tensor::select(std::int64_t axis, std::int64_t index) const {
  const auto a = static_cast<std::size_t>(normalize_axis(axis, 0, "select"));
  const std::int64_t extent = shape_.dims()[a];
  SPOOL_CHECK(index >= -extent && index < extent, OutOfRange, "select: index ", index, " out of range [0, ", extent,
              ") on axis ", a, " of shape ", shape_.to_string());
  if (index < 0) index += extent;
  std::vector<std::int64_t> dims = shape_.dims();
  std::vector<std::int64_t> strides = strides_;
  dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(a));
  strides.erase(strides.begin() + static_cast<std::ptrdiff_t>(a));
  return with_layout(Shape(std::move(dims)), std::move(strides), offset_ + index * strides_[a]);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& order) const {
  const std::int64_t r = rank();
  SPOOL_CHECK(static_cast<std::int64_t>(order.size()) == r, InvalidArgument, "permute: ", order.size(),
              " axes given for shape ", shape_.to_string());
  std::vector<bool> used(static_cast<std::size_t>(r), false);
  std::vector<std::int64_t> dims(order.size()), strides(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto a = static_cast<std::size_t>(normalize_axis(order[i], 0, "permute"));
    SPOOL_CHECK(!used[a], InvalidArgument, "permute: axis ", a, " appears twice");
    used[a] = true;
    dims[i] = shape_.dims()[a];
    strides[i] = strides_[a];
  }
  return with_layout(Shape(std::move(dims)), std::move(strides), offset_);
}

Tensor Tensor::transpose(std::int64_t axis0, std::int64_t axis1) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(rank()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[static_cast<std::size_t>(normalize_axis(axis0, 0, "transpose"))],
            order[static_cast<std::size_t>(normalize_axis(axis1, 0, "transpose"))]);
  return permute(order);
}

Tensor Tensor::squeeze() const {
  std::vector<std::int64_t> dims, strides;
  for (std::size_t a = 0; a < shape_.dims().size(); ++a) {
    if (shape_.dims()[a] == 1) continue;
    dims.push_back(shape_.dims()[a]);
    strides.push_back(strides_[a]);
  }
  return with_layout(Shape(std::move(dims)), std::move(strides), offset_);
}

Tensor Tensor::squeeze(std::int64_t axis) const {
  const auto a = static_cast<std::size_t>(normalize_axis(axis, 0, "squeeze"));
  SPOOL_CHECK(shape_.dims()[a] == 1, InvalidArgument, "squeeze: axis ", a, " of shape ", shape_.to_string(),
              " has extent ", shape_.dims()[a], ", not 1");
  return select(static_cast<std::int64_t>(a), 0);
}

Tensor Tensor::unsqueeze(std::int64_t axis) const {
  const auto a = static_cast<std::size_t>(normalize_axis(axis, 1, "unsqueeze"));
  std::vector<std::int64_t> dims = shape_.dims();
  std::vector<std::int64_t> strides = strides_;
  const std::int64_t stride = a < strides.size() ? strides[a] * dims[a] : 1;
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(a), 1);
  strides.insert(strides.begin() + static_cast<std::ptrdiff_t>(a), stride);
  return with_layout(Shape(std::move(dims)), std::move(strides), offset_);
}

Tensor Tensor::broadcast_to(const Shape& target) const {
  const std::int64_t r = rank();
  const std::int64_t tr = target.rank();
  SPOOL_CHECK(tr >= r, InvalidArgument, "broadcast_to: cannot broadcast shape ", shape_.to_string(), " to ",
              target.to_string());
  std::vector<std::int64_t> strides(static_cast<std::size_t>(tr), 0);
  for (std::int64_t i = 0; i < r; ++i) {
    const auto src = static_cast<std::size_t>(r - 1 - i);
    const auto dst = static_cast<std::size_t>(tr - 1 - i);
    const std::int64_t from = shape_.dims()[src];
    const std::int64_t to = target.dims()[dst];
    SPOOL_CHECK(from == to || from == 1, InvalidArgument, "broadcast_to: cannot broadcast shape ", shape_.to_string(),
                " to ", target.to_string(), " (axis ", dst, ": ", from, " vs ", to, ")");
    strides[dst] = from == to ? strides_[src] : 0;
  }
  return with_layout(target, std::move(strides), offset_);
}

Tensor Tensor::reshape(const std::vector<std::int64_t>& requested) const {
  std::vector<std::int64_t> dims = requested;
  std::int64_t known = 1;
  std::ptrdiff_t infer = -1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      SPOOL_CHECK(infer < 0, InvalidArgument, "reshape: more than one -1 in the requested shape");
      infer = static_cast<std::ptrdiff_t>(i);
    } else {
      SPOOL_CHECK(dims[i] >= 0, InvalidArgument, "reshape: dimension ", dims[i], " is negative");
      known *= dims[i];
    }
  }
  const std::int64_t n = numel();
  if (infer >= 0) {
    SPOOL_CHECK(known > 0 && n % known == 0, InvalidArgument, "reshape: cannot infer -1 to view shape ",
                shape_.to_string(), " (", n, " elements) with ", known, " elements per -1");
    dims[static_cast<std::size_t>(infer)] = n / known;
  }
  Shape shape(std::move(dims));
  SPOOL_CHECK(shape.numel() == n, InvalidArgument, "reshape: cannot view shape ", shape_.to_string(), " as ",
              shape.to_string());
  if (!is_contiguous()) return clone().reshape(shape);
  std::vector<std::int64_t> strides = contiguous_strides(shape);
  return with_layout(std::move(shape), std::move(strides), offset_);
}

}  // namespace spool
