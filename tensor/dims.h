// Dims: a short list of int64 (a shape's extents, a tensor's strides) stored inline up
// to kInline entries, so that making a tensor view allocates nothing. It reads like a
// const std::vector<std::int64_t> and converts to one.
//
//   Dims d{28, 28, 1};  d.size() == 3;  std::vector<std::int64_t> v = d;
//
// Thread-safety: a value type.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

namespace spool {

class Dims {
 public:
  using value_type = std::int64_t;
  using size_type = std::size_t;
  using const_iterator = const std::int64_t*;
  using iterator = const std::int64_t*;
  static constexpr std::size_t kInline = 6;

  Dims() = default;
  Dims(std::initializer_list<std::int64_t> values) { assign(values.begin(), values.size()); }
  Dims(const std::vector<std::int64_t>& values) { assign(values.data(), values.size()); }  // NOLINT
  Dims(std::size_t n, std::int64_t value) {
    reserve_fresh(n);
    std::fill_n(data_, n, value);
  }
  Dims(const Dims& other) { assign(other.data_, other.size_); }
  Dims& operator=(const Dims& other) {
    if (this != &other) assign(other.data_, other.size_);
    return *this;
  }
  Dims(Dims&& other) noexcept { *this = std::move(other); }
  Dims& operator=(Dims&& other) noexcept {
    if (this == &other) return *this;
    if (other.heap_) {
      heap_ = std::move(other.heap_);
      data_ = heap_.get();
    } else {
      std::copy_n(other.inline_, other.size_, inline_);
      heap_.reset();
      data_ = inline_;
    }
    size_ = other.size_;
    other.size_ = 0;
    other.data_ = other.inline_;
    return *this;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::int64_t* data() const { return data_; }
  std::int64_t* data() { return data_; }
  const std::int64_t* begin() const { return data_; }
  const std::int64_t* end() const { return data_ + size_; }
  const std::int64_t& operator[](std::size_t i) const { return data_[i]; }
  std::int64_t& operator[](std::size_t i) { return data_[i]; }
  const std::int64_t& front() const { return data_[0]; }
  const std::int64_t& back() const { return data_[size_ - 1]; }

  operator std::vector<std::int64_t>() const { return {begin(), end()}; }  // NOLINT
  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }

  friend bool operator==(const Dims& a, const Dims& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }
  friend bool operator==(const Dims& a, const std::vector<std::int64_t>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  void reserve_fresh(std::size_t n) {
    if (n > kInline) {
      heap_ = std::make_unique<std::int64_t[]>(n);
      data_ = heap_.get();
    } else {
      heap_.reset();
      data_ = inline_;
    }
    size_ = n;
  }
  void assign(const std::int64_t* values, std::size_t n) {
    reserve_fresh(n);
    std::copy_n(values, n, data_);
  }

  std::int64_t inline_[kInline] = {};
  std::unique_ptr<std::int64_t[]> heap_;
  std::int64_t* data_ = inline_;
  std::size_t size_ = 0;
};

}  // namespace spool
