#include "spool/data/element.h"

#include <algorithm>
#include <cstring>
#include <ostream>
#include <sstream>

#include "spool/tensor/error.h"

namespace spool::data {

Element::Element(std::vector<Tensor> components, std::vector<std::string> names)
    : components_(std::move(components)) {
  SPOOL_CHECK(names.empty() || names.size() == components_.size(), InvalidArgument, "Element: ", names.size(),
              " names for ", components_.size(), " components");
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      SPOOL_CHECK(names[i] != names[j], InvalidArgument, "Element: name ", spool::quoted(names[i]),
                  " appears twice");
    }
  }
  if (!names.empty()) names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
}

Element::Element(std::vector<Tensor> components, Names names)
    : components_(std::move(components)), names_(std::move(names)) {
  SPOOL_CHECK(!names_ || names_->size() == components_.size(), InvalidArgument, "Element: ", names_->size(),
              " names for ", components_.size(), " components");
}

const std::vector<std::string>& Element::names() const {
  static const std::vector<std::string> kNone;
  return names_ ? *names_ : kNone;
}

Tensor& Element::operator[](std::size_t i) {
  SPOOL_CHECK(i < components_.size(), OutOfRange, "Element: component ", i, " out of range [0, ",
              components_.size(), ")");
  return components_[i];
}

const Tensor& Element::operator[](std::size_t i) const {
  return const_cast<Element&>(*this)[i];
}

std::size_t Element::find(std::string_view name) const {
  const auto& names = this->names();
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? components_.size() : static_cast<std::size_t>(it - names.begin());
}

const Tensor& Element::operator[](std::string_view name) const {
  const std::size_t i = find(name);
  if (i == components_.size()) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    SPOOL_THROW(InvalidArgument, "Element: no component named ", spool::quoted(std::string(name)),
                "; it has [", known, "]");
  }
  return components_[i];
}

std::int64_t Element::byte_size() const {
  std::int64_t bytes = 0;
  for (const Tensor& t : components_) {
    if (t.defined()) bytes += t.numel() * static_cast<std::int64_t>(t.element_size());
  }
  return bytes;
}

bool operator==(const Element& a, const Element& b) {
  if (a.names() != b.names() || a.components_.size() != b.components_.size()) return false;
  for (std::size_t i = 0; i < a.components_.size(); ++i) {
    const Tensor& x = a.components_[i];
    const Tensor& y = b.components_[i];
    if (x.defined() != y.defined()) return false;
    if (!x.defined()) continue;
    if (x.dtype() != y.dtype() || x.shape() != y.shape()) return false;
    const Tensor cx = x.contiguous();
    const Tensor cy = y.contiguous();
    if (std::memcmp(cx.raw_data(), cy.raw_data(), static_cast<std::size_t>(cx.numel()) * cx.element_size()) != 0) {
      return false;
    }
  }
  return true;
}

std::string describe_structure(const Element& element) {
  std::ostringstream out;
  for (std::size_t i = 0; i < element.size(); ++i) {
    if (i) out << ", ";
    if (element.has_names()) out << element.names()[i] << ": ";
    const Tensor& t = element[i];
    if (!t.defined()) {
      out << "undefined";
      continue;
    }
    out << dtype_name(t.dtype()) << t.shape().to_string();
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Element& element) {
  out << "(";
  for (std::size_t i = 0; i < element.size(); ++i) {
    if (i) out << ", ";
    if (element.has_names()) out << element.names()[i] << "=";
    out << element[i];
  }
  return out << ")";
}

}  // namespace spool::data
