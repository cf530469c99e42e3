// Element: what a Dataset yields — a short tuple of Tensors, optionally named.
//
//   Element e{image, label};                       // positional: e[0], e[1]
//   Element f({image, label}, {"image", "label"}); // named too: f["label"]
//   for (const Tensor& t : e) consume(t);
//
// A raw record is an Element of one 1-D u8 Tensor viewing the reader's buffer.
// Copying an Element copies its Tensor handles, which alias (see tensor.h).
// Thread-safety: a plain value; distinct Elements may be used from distinct threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool::data {

class Element {
 public:
  // Names are shared between the elements of a stream: copying them is a reference count.
  using Names = std::shared_ptr<const std::vector<std::string>>;

  Element() = default;
  Element(std::initializer_list<Tensor> components) : components_(components) {}
  // One component, moved in (an initializer list can only copy: two allocations for a
  // tensor's shape and strides, per element of a source).
  explicit Element(Tensor component) { components_.push_back(std::move(component)); }
  explicit Element(std::vector<Tensor> components) : components_(std::move(components)) {}
  // `names` is empty or has one distinct name per component.
  Element(std::vector<Tensor> components, std::vector<std::string> names);
  // Names from another element (null: unnamed); the count must match.
  Element(std::vector<Tensor> components, Names names);

  std::size_t size() const { return components_.size(); }
  bool empty() const { return components_.empty(); }

  // Throws OutOfRange naming the index and the size.
  Tensor& operator[](std::size_t i);
  const Tensor& operator[](std::size_t i) const;
  // By name; throws InvalidArgument naming the key and the names there are.
  const Tensor& operator[](std::string_view name) const;
  // The position of `name`, or size() when absent.
  std::size_t find(std::string_view name) const;

  bool has_names() const { return names_ != nullptr; }
  const std::vector<std::string>& names() const;
  const Names& shared_names() const { return names_; }
  const std::vector<Tensor>& components() const { return components_; }
  std::vector<Tensor>& components() { return components_; }

  auto begin() { return components_.begin(); }
  auto end() { return components_.end(); }
  auto begin() const { return components_.begin(); }
  auto end() const { return components_.end(); }

  // Bytes the components' elements occupy (numel × element size); what buffers count.
  std::int64_t byte_size() const;

  // Same names and, component by component, same dtype, shape and values.
  friend bool operator==(const Element& a, const Element& b);

 private:
  std::vector<Tensor> components_;
  Names names_;  // null, or one per component
};

// Like "(i64[] 3, u8[784] ...)"; names are shown when present.
std::ostream& operator<<(std::ostream& out, const Element& element);
// "u8[28,28], i64[]": the dtypes and shapes, for error messages.
std::string describe_structure(const Element& element);

}  // namespace spool::data
