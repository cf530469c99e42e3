// DType: the element types a Tensor can hold.
//
//   static_assert(dtype_of<float>() == DType::kF32);
//   dtype_size(DType::kI64) == 8;  dtype_name(DType::kU8) == "u8"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace spool {

enum class DType : std::uint8_t { kU8, kI32, kI64, kF32, kF64 };

constexpr std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kU8: return 1;
    case DType::kI32: return 4;
    case DType::kF32: return 4;
    case DType::kI64: return 8;
    case DType::kF64: return 8;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kU8: return "u8";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kF32: return "f32";
    case DType::kF64: return "f64";
  }
  return "?";
}

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>) return DType::kU8;
  else if constexpr (std::is_same_v<T, std::int32_t>) return DType::kI32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return DType::kI64;
  else if constexpr (std::is_same_v<T, float>) return DType::kF32;
  else if constexpr (std::is_same_v<T, double>) return DType::kF64;
  else static_assert(sizeof(T) == 0, "no DType for this C++ type");
}

// Calls fn.template operator()<T>() with the C++ type T of `dtype`:
//   visit_dtype(t.dtype(), [&]<typename T>() { sum<T>(t); });
template <typename Fn>
decltype(auto) visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kU8: return fn.template operator()<std::uint8_t>();
    case DType::kI32: return fn.template operator()<std::int32_t>();
    case DType::kI64: return fn.template operator()<std::int64_t>();
    case DType::kF32: return fn.template operator()<float>();
    case DType::kF64: return fn.template operator()<double>();
  }
  return fn.template operator()<std::uint8_t>();  // unreachable: every enumerator is handled
}

}  // namespace spool
