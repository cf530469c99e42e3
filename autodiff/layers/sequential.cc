#include "spool/autodiff/layers/sequential.h"

#include <algorithm>
#include <ostream>

namespace spool::layers {
namespace {

// 1234567 -> "1,234,567", as Python's '{:,}'.
std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Keras' print_row: each field cut to end at its column, then padded to it; a field
// after a full one replaces that one's last character with a space.
std::string table_row(const std::vector<std::string>& fields) {
  static constexpr std::size_t kColumns[] = {29, 55, 65};
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.back() = ' ';
    line += fields[i];
    line.resize(kColumns[i], ' ');
  }
  return line + "\n";
}

}  // namespace

Sequential::Sequential(std::string name, DType dtype) : name_(std::move(name)), arena_(dtype) {}

Sequential& Sequential::add(std::shared_ptr<Layer> layer) {
  SPOOL_CHECK(layer != nullptr, InvalidArgument, "Sequential ", quoted(name_), ": add() of a null layer");
  SPOOL_CHECK(!built_, InvalidArgument, "Sequential ", quoted(name_), ": cannot add ", layer->type(),
              " after build()");
  SPOOL_CHECK(!layer->built(), InvalidArgument, "Sequential ", quoted(name_), ": ", layer->type(), " ",
              quoted(layer->name()), " is already built (it belongs to another model)");
  const auto taken = [&](const std::string& n) {
    return std::any_of(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == n; });
  };
  if (layer->name().empty()) {
    const std::string stem = layer->default_name();
    std::string candidate = stem;
    for (int k = 1; taken(candidate); ++k) candidate = stem + "_" + std::to_string(k);
    layer->set_name(candidate);
  }
  SPOOL_CHECK(!taken(layer->name()), InvalidArgument, "Sequential ", quoted(name_), ": two layers named ",
              quoted(layer->name()), " (layer and variable names must be unique)");
  layers_.push_back(std::move(layer));
  return *this;
}

Sequential& Sequential::add(LayerFunction fn, std::string name) {
  return add(std::make_shared<Lambda>(std::move(fn), std::move(name)));
}

void Sequential::build(const Shape& input_shape, std::uint64_t seed) {
  SPOOL_CHECK(!built_, InvalidArgument, "Sequential ", quoted(name_), ": already built");
  SPOOL_CHECK(!layers_.empty(), InvalidArgument, "Sequential ", quoted(name_), ": build() with no layers");
  const Generator root(seed);
  Shape shape = input_shape;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Generator gen = root.fork(i);
    shape = layers_[i]->build(shape, arena_, gen);
  }
  input_shape_ = input_shape;
  built_ = true;
}

Tensor Sequential::operator()(const Tensor& x, const CallContext& context) {
  check_built("called");
  Tensor y = x;
  for (const auto& layer : layers_) y = (*layer)(y, context);
  return y;
}

Layer& Sequential::layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return *l;
    names += (names.empty() ? "" : ", ") + quoted(l->name());
  }
  SPOOL_THROW(InvalidArgument, "Sequential ", quoted(name_), ": no layer ", quoted(name), " (layers: ", names, ")");
}

const Shape& Sequential::input_shape() const {
  check_built("has no input shape");
  return input_shape_;
}

const Shape& Sequential::output_shape() const {
  check_built("has no output shape");
  return layers_.back()->output_shape();
}

std::int64_t Sequential::count_params() const {
  std::int64_t n = 0;
  for (const auto& l : layers_) n += l->count_params();
  return n;
}

std::int64_t Sequential::trainable_params() const {
  std::int64_t n = 0;
  for (const auto& l : layers_) n += l->trainable_params();
  return n;
}

std::string Sequential::summary() const {
  check_built("has no summary");
  const std::string rule(65, '_'), double_rule(65, '=');
  std::string out = "Model: \"" + name_ + "\"\n" + rule + "\n";
  out += table_row({"Layer (type)", "Output Shape", "Param #"}) + double_rule + "\n";
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = *layers_[i];
    out += table_row({l.name() + " (" + l.type() + ")", batch_shape_string(l.output_shape()),
                      std::to_string(l.count_params())});
    out += (i + 1 == layers_.size() ? double_rule : rule) + "\n";
  }
  out += "Total params: " + with_commas(count_params()) + "\n";
  out += "Trainable params: " + with_commas(trainable_params()) + "\n";
  out += "Non-trainable params: " + with_commas(non_trainable_params()) + "\n";
  return out + rule + "\n";
}

void Sequential::print_summary(std::ostream& out) const { out << summary(); }

void Sequential::check_built(const char* what) const {
  SPOOL_CHECK(built_, InvalidArgument, "Sequential ", quoted(name_), ": ", what, " before build()");
}

}  // namespace spool::layers
