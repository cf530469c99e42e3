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
  // Product of the dimensions (1 for a scalar); throws InvalidArgument on overflow.
  std::int64_t numel() const;
  const std::vector<std::int64_t>& dims() const { return dims_; }
  // So that APIs taking dimension lists (Tensor::reshape) accept a Shape too.
  operator const std::vector<std::int64_t>&() const { return dims_; }  // NOLINT(google-explicit-constructor)
  std::string to_string() const;

  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::int64_t> dims_;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

}  // namespace spool
