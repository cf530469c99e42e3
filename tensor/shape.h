// Shape: the extent of each dimension of a Tensor; rank 0 is a scalar.
//
//   Shape s{28, 28, 1};  s.rank() == 3;  s.numel() == 784;  s.to_string() == "[28, 28, 1]"
//
// Thread-safety: a value type; const methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace spool {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::vector<std::int64_t> dims);

  std::int64_t rank() const { return static_cast<std::int64_t>(dims_.size()); }
  // Throws OutOfRange for an axis outside [-rank, rank); negative counts from the end.
  std::int64_t operator[](std::int64_t axis) const;
  // Product of the dimensions (1 for a scalar); throws InvalidArgument when it does
  // not fit in 64 bits, or when the product with empty dimensions counted as 1 does not
  // (a contiguous tensor's strides are that product's partial products). Computed once when the shape is made: element counts are read
  // per element of every pipeline stage.
  std::int64_t numel() const {
    if (numel_ < 0) throw_numel_overflow();
    return numel_;
  }
  const std::vector<std::int64_t>& dims() const { return dims_; }
  // So that APIs taking dimension lists (Tensor::reshape) accept a Shape too.
  operator const std::vector<std::int64_t>&() const { return dims_; }  // NOLINT(google-explicit-constructor)
  std::string to_string() const;

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  // The product, or -1 when it or the strides' span overflows (a shape may be made to
  // be named in a message).
  std::int64_t product() const;
  [[noreturn]] void throw_numel_overflow() const;

  std::vector<std::int64_t> dims_;
  std::int64_t numel_ = 1;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

}  // namespace spool
