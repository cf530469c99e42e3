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
  strides_ = contiguous_strides(shape_);
  const auto es = static_cast<std::int64_t>(dtype_size(dtype_));
  const auto capacity = static_cast<std::int64_t>(storage_->size()) / es;
  const std::int64_t n = shape_.numel();
  SPOOL_CHECK(offset >= 0 && offset <= capacity && n <= capacity - offset, OutOfRange, "Tensor: view of ", n,
              " ", dtype_name(dtype_), " elements at offset ", offset, " exceeds storage of ", storage_->size(),
              " bytes");
}

Tensor Tensor::empty(Shape shape, DType dtype) {
  const std::int64_t n = shape.numel();
  const std::size_t bytes = static_cast<std::size_t>(n) * dtype_size(dtype);
  return Tensor(Storage::allocate(bytes), dtype, std::move(shape));
}

Tensor Tensor::zeros(Shape shape, DType dtype) {
  Tensor t = empty(std::move(shape), dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * t.element_size());
  return t;
}

Tensor Tensor::from_bytes(std::string_view bytes) {
  Tensor t = empty(Shape{static_cast<std::int64_t>(bytes.size())}, DType::kU8);
  if (!bytes.empty()) std::memcpy(t.raw_data(), bytes.data(), bytes.size());
  return t;
}

void Tensor::check_defined() const {
  SPOOL_CHECK(defined(), InvalidArgument, "use of an undefined Tensor");
}

void Tensor::check_dtype(DType wanted) const {
  check_defined();
  SPOOL_CHECK(dtype_ == wanted, InvalidArgument, "tensor has dtype ", dtype_name(dtype_), ", accessed as ",
              dtype_name(wanted));
}

DType Tensor::dtype() const {
  check_defined();
  return dtype_;
}

const Shape& Tensor::shape() const {
  check_defined();
  return shape_;
}

const std::vector<std::int64_t>& Tensor::strides() const {
  check_defined();
  return strides_;
}

bool Tensor::is_contiguous() const { return strides() == contiguous_strides(shape_); }

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

Tensor Tensor::narrow(std::int64_t axis, std::int64_t start, std::int64_t length) const {
  const std::int64_t r = rank();
  SPOOL_CHECK(axis >= -r && axis < r, OutOfRange, "narrow: axis ", axis, " out of range for shape ",
              shape_.to_string());
  const auto a = static_cast<std::size_t>(axis < 0 ? axis + r : axis);
  const std::int64_t extent = shape_.dims()[a];
  SPOOL_CHECK(start >= 0 && length >= 0 && start <= extent && length <= extent - start, OutOfRange, "narrow: [",
              start, ", ", start + length, ") out of range [0, ", extent, ") on axis ", a, " of shape ",
              shape_.to_string());
  Tensor view = *this;
  std::vector<std::int64_t> dims = shape_.dims();
  dims[a] = length;
  view.shape_ = Shape(std::move(dims));
  view.offset_ = offset_ + start * strides_[a];
  return view;
}

Tensor Tensor::reshape(Shape shape) const {
  SPOOL_CHECK(shape.numel() == numel(), InvalidArgument, "reshape: cannot view shape ", shape_.to_string(), " as ",
              shape.to_string());
  SPOOL_CHECK(is_contiguous(), InvalidArgument, "reshape: needs a contiguous tensor, shape ", shape_.to_string());
  Tensor view = *this;
  view.strides_ = contiguous_strides(shape);
  view.shape_ = std::move(shape);
  return view;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype_);
  switch (dtype_) {
    case DType::kU8: gather(out.data<std::uint8_t>()); break;
    case DType::kI32: gather(out.data<std::int32_t>()); break;
    case DType::kI64: gather(out.data<std::int64_t>()); break;
    case DType::kF32: gather(out.data<float>()); break;
    case DType::kF64: gather(out.data<double>()); break;
  }
  return out;
}

}  // namespace spool
