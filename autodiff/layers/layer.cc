#include "spool/autodiff/layers/layer.h"

#include <algorithm>
#include <cctype>

#include "spool/autodiff/ops/activation.h"

namespace spool::layers {

LayerActivation::LayerActivation(const std::string& name) : name_(name.empty() ? "linear" : name) {
  SPOOL_CHECK(name_ == "linear" || name_ == "relu" || name_ == "sigmoid" || name_ == "tanh" || name_ == "softmax",
              InvalidArgument, "unknown activation ", quoted(name),
              " (known: 'relu', 'sigmoid', 'tanh', 'softmax', 'linear' or '')");
}

Activation LayerActivation::fused() const {
  if (name_ == "relu") return Activation::kRelu;
  if (name_ == "sigmoid") return Activation::kSigmoid;
  return Activation::kNone;
}

Tensor LayerActivation::apply_unfused(const Tensor& x) const {
  if (name_ == "tanh") return tanh(x);
  if (name_ == "softmax") return softmax(x);
  return x;
}

Tensor LayerActivation::apply(const Tensor& x) const {
  if (name_ == "relu") return relu(x);
  if (name_ == "sigmoid") return sigmoid(x);
  return apply_unfused(x);
}

Initializer initializer(const std::string& name) {
  if (name == "glorot_uniform") return [](const Shape& s, Generator& g) { return glorot_uniform(s, g); };
  if (name == "glorot_normal") return [](const Shape& s, Generator& g) { return glorot_normal(s, g); };
  if (name == "he_uniform") return [](const Shape& s, Generator& g) { return he_uniform(s, g); };
  if (name == "he_normal") return [](const Shape& s, Generator& g) { return he_normal(s, g); };
  if (name == "zeros") return [](const Shape& s, Generator&) { return Tensor::zeros(s, DType::kF32); };
  if (name == "ones") return [](const Shape& s, Generator&) { return Tensor::ones(s, DType::kF32); };
  if (name == "uniform") return [](const Shape& s, Generator& g) { return random_uniform(s, -0.05, 0.05, g); };
  SPOOL_THROW(InvalidArgument, "unknown initializer ", quoted(name),
              " (known: glorot_uniform, glorot_normal, he_uniform, he_normal, zeros, ones, uniform)");
}

std::string Layer::default_name() const {
  // Keras' to_snake_case: '_' before an upper-case letter that follows a lower-case one
  // or starts a capitalised word ("MaxPooling2D" -> "max_pooling2d").
  const std::string t = type();
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool upper = std::isupper(static_cast<unsigned char>(t[i])) != 0;
    const bool after_lower = i > 0 && std::islower(static_cast<unsigned char>(t[i - 1])) != 0;
    const bool starts_word = i > 0 && i + 1 < t.size() && std::islower(static_cast<unsigned char>(t[i + 1])) != 0;
    if (upper && (after_lower || starts_word)) out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(t[i])));
  }
  return out;
}

void Layer::set_name(std::string name) {
  SPOOL_CHECK(!built_, InvalidArgument, type(), " ", quoted(name_), ": cannot be renamed to ", quoted(name),
              " after build (its variables carry the name)");
  name_ = std::move(name);
}

Shape Layer::build(const Shape& input_shape, autodiff::VariableArena& arena, Generator& gen) {
  SPOOL_CHECK(!built_, InvalidArgument, type(), " ", quoted(name_),
              ": already built (a layer belongs to one model; make a new one)");
  if (name_.empty()) name_ = default_name();
  output_shape_ = build_layer(input_shape, arena, gen);
  input_shape_ = input_shape;
  built_ = true;
  return output_shape_;
}

Tensor Layer::operator()(const Tensor& x, const CallContext& context) {
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": called before build()");
  const auto& dims = x.shape().dims();
  const bool match = x.rank() == input_shape_.rank() + 1 &&
                     std::equal(dims.begin() + 1, dims.end(), input_shape_.dims().begin());
  SPOOL_CHECK(match, InvalidArgument, type(), " ", quoted(name_), ": input ", x.shape().to_string(),
              " does not match the built input shape ", batch_shape_string(input_shape_));
  const bool floating = x.dtype() == DType::kF32 || x.dtype() == DType::kF64;
  SPOOL_CHECK(!floating || variables_.empty() || x.dtype() == variables_[0].dtype(), InvalidArgument, type(), " ",
              quoted(name_), ": input is ", dtype_name(x.dtype()), ", its variables ",
              dtype_name(variables_[0].dtype()));
  return call(x, context);
}

const Shape& Layer::input_shape() const {
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": has no input shape before build()");
  return input_shape_;
}

const Shape& Layer::output_shape() const {
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": has no output shape before build()");
  return output_shape_;
}

std::int64_t Layer::count_params() const {
  std::int64_t n = 0;
  for (const autodiff::Variable& v : variables_) n += v.shape().numel();
  return n;
}

std::int64_t Layer::trainable_params() const {
  std::int64_t n = 0;
  for (const autodiff::Variable& v : variables_) n += v.trainable() ? v.shape().numel() : 0;
  return n;
}

autodiff::Variable Layer::add_variable(autodiff::VariableArena& arena, const std::string& short_name,
                                       const Tensor& initial, bool trainable) {
  const Tensor value = initial.dtype() == arena.dtype() ? initial : initial.cast(arena.dtype());
  variables_.push_back(arena.add(name_ + "/" + short_name, value, trainable));
  return variables_.back();
}

void Layer::shape_error(const Shape& input_shape, const std::string& what) const {
  SPOOL_THROW(InvalidArgument, type(), " ", quoted(name_), ": ", what, " (input shape ",
              batch_shape_string(input_shape), ")");
}

std::string batch_shape_string(const Shape& per_example) {
  std::string out = "(None";
  for (std::int64_t d : per_example.dims()) out += ", " + std::to_string(d);
  return out + ")";
}

}  // namespace spool::layers
