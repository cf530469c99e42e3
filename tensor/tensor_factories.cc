// Tensors made from values: constants, ranges, copies and casts.
#include <cmath>
#include <cstring>

#include "spool/tensor/tensor.h"

namespace spool {

namespace {

template <typename T>
void fill(const Tensor& t, double value) {
  T* p = t.data<T>();
  const T v = static_cast<T>(value);
  for (std::int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = v;
}

}  // namespace

Tensor Tensor::zeros(Shape shape, DType dtype) {
  Tensor t = empty(std::move(shape), dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * t.element_size());
  return t;
}

Tensor Tensor::ones(Shape shape, DType dtype) { return full(std::move(shape), 1.0, dtype); }

Tensor Tensor::full(Shape shape, double value, DType dtype) {
  Tensor t = empty(std::move(shape), dtype);
  visit_dtype(dtype, [&]<typename T>() { fill<T>(t, value); });
  return t;
}

Tensor Tensor::arange(double start, double end, double step, DType dtype) {
  SPOOL_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end) && std::isfinite(step), InvalidArgument,
              "arange(", start, ", ", end, ", ", step, "): need finite bounds and a non-zero step");
  const double count = std::ceil((end - start) / step);
  SPOOL_CHECK(count < 9.0e15, InvalidArgument, "arange(", start, ", ", end, ", ", step, ") is too long");
  const auto n = static_cast<std::int64_t>(std::max(count, 0.0));
  Tensor t = empty(Shape{n}, dtype);
  visit_dtype(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor Tensor::from_bytes(std::string_view bytes) {
  Tensor t = empty(Shape{static_cast<std::int64_t>(bytes.size())}, DType::kU8);
  if (!bytes.empty()) std::memcpy(t.raw_data(), bytes.data(), bytes.size());
  return t;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::clone() const {
  detail::note_host_read(storage_.get(), "clone()");
  Tensor out = empty(shape(), dtype_);
  visit_dtype(dtype_, [&]<typename T>() {
    if (is_contiguous()) {
      if (numel() > 0) std::memcpy(out.raw_data(), raw_data(), static_cast<std::size_t>(numel()) * sizeof(T));
    } else {
      gather(out.data<T>());
    }
  });
  return out;
}

Tensor Tensor::cast(DType to) const {
  if (to == dtype()) return clone();
  detail::note_host_read(storage_.get(), "cast()");
  const Tensor src = contiguous();
  Tensor out = empty(shape(), to);
  visit_dtype(dtype_, [&]<typename From>() {
    visit_dtype(to, [&]<typename To>() {
      const From* in = src.data<From>();
      To* o = out.data<To>();
      for (std::int64_t i = 0, n = numel(); i < n; ++i) o[i] = static_cast<To>(in[i]);
    });
  });
  return out;
}

double Tensor::item_as_double() const {
  return visit_dtype(dtype(), [&]<typename T>() { return static_cast<double>(item<T>()); });
}

}  // namespace spool
