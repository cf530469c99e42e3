#include "spool/tensor/tensor.h"

#include <algorithm>

namespace spool {

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(static_cast<std::size_t>(shape.rank()));
  std::int64_t step = 1;
  for (std::int64_t a = shape.rank() - 1; a >= 0; --a) {
    strides[static_cast<std::size_t>(a)] = step;
    step *= std::max<std::int64_t>(shape.dims()[static_cast<std::size_t>(a)], 1);
  }
  return strides;
}

Tensor::Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, std::int64_t offset)
    : storage_(std::move(storage)), dtype_(dtype), shape_(std::move(shape)), offset_(offset) {
  SPOOL_CHECK(storage_ != nullptr, InvalidArgument, "Tensor: null storage");
  const std::int64_t n = shape_.numel();  // first: it refuses a shape whose strides overflow
  strides_ = contiguous_strides(shape_);
  const auto es = static_cast<std::int64_t>(dtype_size(dtype_));
  const auto capacity = static_cast<std::int64_t>(storage_->size()) / es;
  SPOOL_CHECK(offset >= 0 && offset <= capacity && n <= capacity - offset, OutOfRange, "Tensor: view of ", n,
              " ", dtype_name(dtype_), " elements at offset ", offset, " exceeds storage of ", storage_->size(),
              " bytes");
}

Tensor Tensor::empty(Shape shape, DType dtype) {
  const std::int64_t n = shape.numel();
  const std::size_t bytes = static_cast<std::size_t>(n) * dtype_size(dtype);
  return Tensor(Storage::allocate(bytes), dtype, std::move(shape));
}

void Tensor::throw_undefined() { SPOOL_THROW(InvalidArgument, "use of an undefined Tensor"); }

void Tensor::throw_dtype(DType wanted) const {
  check_defined();
  SPOOL_THROW(InvalidArgument, "tensor has dtype ", dtype_name(dtype_), ", accessed as ", dtype_name(wanted));
}

bool Tensor::is_contiguous() const {
  const auto& st = strides();
  std::int64_t expected = 1;
  for (std::int64_t a = rank() - 1; a >= 0; --a) {
    const std::int64_t extent = shape_.dims()[static_cast<std::size_t>(a)];
    if (extent == 0) return true;
    if (extent != 1 && st[static_cast<std::size_t>(a)] != expected) return false;
    expected *= extent;
  }
  return true;
}

void* Tensor::raw_data() const {
  check_defined();
  return storage_->data() + offset_ * static_cast<std::int64_t>(dtype_size(dtype_));
}

std::span<const std::uint8_t> Tensor::bytes() const {
  SPOOL_CHECK(is_contiguous(), InvalidArgument, "bytes() needs a contiguous tensor, shape ", shape_.to_string());
  return {static_cast<const std::uint8_t*>(raw_data()), static_cast<std::size_t>(numel()) * element_size()};
}

std::string_view Tensor::as_string_view() const {
  auto b = bytes();
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace spool
