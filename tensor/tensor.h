// Tensor: a typed, shaped view of shared Storage.
//
//   Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
//   Tensor row = t.narrow(0, 1, 1);          // a view: shares t's storage
//   float x = row.data<float>()[2];          // 6
//   Tensor copy = t.clone();                 // a deep, contiguous copy
//
// Tensor is a cheap value type: copying a Tensor ALIASES the same bytes (like
// torch::Tensor), it never copies them; use clone() for that. A record read from a
// TFRecord file is a 1-D u8 Tensor viewing the reader's buffer or the mapped file,
// and keeps that memory alive for as long as the Tensor (or a copy) exists.
//
// Offsets and strides count elements, not bytes.
// Thread-safety: const methods may be called concurrently; writes to shared bytes
// through data() must be synchronised by the caller.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/tensor/dtype.h"
#include "spool/tensor/error.h"
#include "spool/tensor/graph_hooks.h"
#include "spool/tensor/shape.h"
#include "spool/tensor/storage.h"

namespace spool {

class Tensor {
 public:
  // An undefined tensor: defined() is false, every other accessor throws.
  Tensor() = default;
  // A contiguous view of `storage` starting `offset` elements in; throws OutOfRange
  // when the view would reach past the end of the storage.
  Tensor(std::shared_ptr<Storage> storage, DType dtype, Shape shape, std::int64_t offset = 0);

  static Tensor empty(Shape shape, DType dtype);
  static Tensor zeros(Shape shape, DType dtype);
  static Tensor ones(Shape shape, DType dtype);
  static Tensor full(Shape shape, double value, DType dtype);
  // start, start + step, ... while < end (> end for a negative step), as NumPy's arange.
  static Tensor arange(double start, double end, double step = 1, DType dtype = DType::kI64);
  // Copies `values`; the default shape is 1-D of values.size().
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, Shape shape);
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values) {
    return from_vector(values, Shape{static_cast<std::int64_t>(values.size())});
  }
  template <typename T>
  static Tensor scalar(T value) {
    return from_vector(std::vector<T>{value}, Shape{});
  }
  // A 1-D u8 tensor holding a copy of `bytes`.
  static Tensor from_bytes(std::string_view bytes);

  bool defined() const { return storage_ != nullptr; }
  // The accessors below are inline: pipelines call them several times per element.
  DType dtype() const {
    check_defined();
    return dtype_;
  }
  const Shape& shape() const {
    check_defined();
    return shape_;
  }
  const std::vector<std::int64_t>& strides() const {
    check_defined();
    return strides_;
  }
  std::int64_t rank() const { return shape().rank(); }
  std::int64_t dim(std::int64_t axis) const { return shape()[axis]; }
  std::int64_t numel() const { return shape().numel(); }
  std::int64_t offset() const { return offset_; }
  std::size_t element_size() const { return dtype_size(dtype()); }
  // Row-major with no gaps (extent-1 axes may have any stride).
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Typed pointer to the first element; throws InvalidArgument if T is not dtype().
  template <typename T>
  T* data() const {
    check_dtype(dtype_of<T>());
    return reinterpret_cast<T*>(raw_data());
  }
  void* raw_data() const;

  // The bytes of a contiguous tensor (any dtype); throws InvalidArgument otherwise.
  std::span<const std::uint8_t> bytes() const;
  // bytes() as characters: handy for u8 tensors that hold encoded strings.
  std::string_view as_string_view() const;

  // Views: they share storage with *this. Negative axes count from the end.
  Tensor narrow(std::int64_t axis, std::int64_t start, std::int64_t length) const;
  // Elements start, start + step, ... below end (clamped to the axis, like Python).
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
  // The sub-tensor at `index` along `axis`, with that axis removed.
  Tensor select(std::int64_t axis, std::int64_t index) const;
  Tensor transpose(std::int64_t axis0, std::int64_t axis1) const;
  Tensor permute(const std::vector<std::int64_t>& order) const;
  Tensor squeeze() const;                    // drops every extent-1 axis
  Tensor squeeze(std::int64_t axis) const;   // that axis must have extent 1
  Tensor unsqueeze(std::int64_t axis) const;  // axis in [-rank-1, rank]
  // NumPy broadcasting to `shape`; broadcast axes get stride 0 (read-only in spirit).
  Tensor broadcast_to(const Shape& shape) const;
  // A view when the layout allows (contiguous input), a copy otherwise, as torch's
  // reshape. One dimension may be -1: it is inferred.
  // reshape({-1, 784}) or reshape(other.shape()).
  Tensor reshape(const std::vector<std::int64_t>& dims) const;

  // *this when already contiguous, else a contiguous copy.
  Tensor contiguous() const;
  // A contiguous deep copy.
  Tensor clone() const;
  // A contiguous copy converted element by element (static_cast semantics).
  Tensor cast(DType dtype) const;

  // Typed access to one element by its index on every axis.
  template <typename T>
  T& at(std::initializer_list<std::int64_t> index) const {
    return data<T>()[element_offset(index)];
  }

  // The single element of a one-element tensor.
  template <typename T>
  T item() const;
  // item<double>() of any dtype, for messages and tests.
  double item_as_double() const;
  // All elements in row-major order.
  template <typename T>
  std::vector<T> to_vector() const;

 private:
  Tensor with_layout(Shape shape, std::vector<std::int64_t> strides, std::int64_t offset) const;
  std::int64_t element_offset(std::initializer_list<std::int64_t> index) const;
  std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank_plus, const char* op) const;
  void check_defined() const {
    if (storage_ == nullptr) [[unlikely]] throw_undefined();
  }
  void check_dtype(DType wanted) const {
    if (storage_ == nullptr || dtype_ != wanted) [[unlikely]] throw_dtype(wanted);
  }
  [[noreturn]] static void throw_undefined();
  [[noreturn]] void throw_dtype(DType wanted) const;
  template <typename T>
  void gather(T* out) const;

  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::kU8;
  Shape shape_;
  std::vector<std::int64_t> strides_;
  std::int64_t offset_ = 0;
};

std::vector<std::int64_t> contiguous_strides(const Shape& shape);

// Readable printing, abbreviated past 6 items per axis:
//   tensor([[1, 2], [3, 4]], shape=[2, 2], dtype=i64)
std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, Shape shape) {
  SPOOL_CHECK(shape.numel() == static_cast<std::int64_t>(values.size()), InvalidArgument,
              "from_vector: ", values.size(), " values do not fill shape ", shape.to_string());
  Tensor t = empty(std::move(shape), dtype_of<T>());
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}

template <typename T>
void Tensor::gather(T* out) const {
  // Walks the (possibly strided) view in row-major order with an explicit counter.
  const T* base = data<T>();
  const std::int64_t n = numel();
  const std::int64_t r = rank();
  std::vector<std::int64_t> index(static_cast<std::size_t>(r), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t at = 0;
    for (std::int64_t a = 0; a < r; ++a) at += index[a] * strides_[a];
    out[i] = base[at];
    for (std::int64_t a = r - 1; a >= 0; --a) {
      if (++index[a] < shape_.dims()[a]) break;
      index[a] = 0;
    }
  }
}

template <typename T>
T Tensor::item() const {
  SPOOL_CHECK(numel() == 1, InvalidArgument, "item() needs exactly one element, tensor has shape ",
              shape().to_string());
  detail::note_host_read(storage_.get(), "item()");
  return data<T>()[0];
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  check_dtype(dtype_of<T>());
  detail::note_host_read(storage_.get(), "to_vector()");
  std::vector<T> out(static_cast<std::size_t>(numel()));
  gather(out.data());
  return out;
}

}  // namespace spool
