#include "spool/tensor/shape.h"

#include <algorithm>
#include <limits>
#include <ostream>

#include "spool/tensor/error.h"

namespace spool {

namespace {
void check_dims(const std::vector<std::int64_t>& dims) {
  for (std::size_t i = 0; i < dims.size(); ++i) {
    SPOOL_CHECK(dims[i] >= 0, InvalidArgument, "shape dimension ", i, " is negative (", dims[i], ")");
  }
}
}  // namespace

Shape::Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {
  check_dims(dims_);
  numel_ = product();
}

Shape::Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {
  check_dims(dims_);
  numel_ = product();
}

std::int64_t Shape::operator[](std::int64_t axis) const {
  const std::int64_t r = rank();
  SPOOL_CHECK(axis >= -r && axis < r, OutOfRange, "axis ", axis, " out of range for shape ", to_string());
  return dims_[static_cast<std::size_t>(axis < 0 ? axis + r : axis)];
}

std::int64_t Shape::product() const {
  // An empty dimension makes the product 0 but not the strides beside it: [0, 2^40,
  // 2^40] holds no element, yet its first stride would be 2^80.
  std::int64_t n = 1, span = 1;
  for (std::int64_t d : dims_) {
    const std::int64_t s = std::max<std::int64_t>(d, 1);
    if (span > std::numeric_limits<std::int64_t>::max() / s) return -1;
    span *= s;
    n *= d;
  }
  return n;
}

void Shape::throw_numel_overflow() const {
  SPOOL_THROW(InvalidArgument, "shape ", to_string(), " is too large: its dimensions multiply past 64 bits");
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) { return out << shape.to_string(); }

}  // namespace spool
