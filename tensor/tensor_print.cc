// operator<< for Tensor: nested brackets like NumPy, abbreviated for big tensors.
#include <ostream>

#include "spool/tensor/tensor.h"

namespace spool {

namespace {

constexpr std::int64_t kEdgeItems = 3;  // shown at each end of an axis longer than 2 * kEdgeItems

template <typename T>
void print_value(std::ostream& out, T v) {
  if constexpr (std::is_same_v<T, std::uint8_t>) out << static_cast<int>(v);
  else out << v;
}

template <typename T>
void print_axis(std::ostream& out, const Tensor& t, std::int64_t axis, std::int64_t offset) {
  if (axis == t.rank()) {
    print_value(out, t.data<T>()[offset]);
    return;
  }
  const std::int64_t extent = t.shape().dims()[static_cast<std::size_t>(axis)];
  const std::int64_t stride = t.strides()[static_cast<std::size_t>(axis)];
  const bool abbreviate = extent > 2 * kEdgeItems;
  out << '[';
  for (std::int64_t i = 0; i < extent; ++i) {
    if (abbreviate && i == kEdgeItems) {
      out << "..., ";
      i = extent - kEdgeItems;
    }
    print_axis<T>(out, t, axis + 1, offset + i * stride);
    if (i + 1 < extent) out << ", ";
  }
  out << ']';
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
  if (!t.defined()) return out << "tensor(undefined)";
  out << "tensor(";
  visit_dtype(t.dtype(), [&]<typename T>() { print_axis<T>(out, t, 0, 0); });
  return out << ", shape=" << t.shape().to_string() << ", dtype=" << dtype_name(t.dtype()) << ')';
}

}  // namespace spool
