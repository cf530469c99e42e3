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
  return build(std::vector<Shape>{input_shape}, arena, gen);
}

Shape Layer::build(const std::vector<Shape>& input_shapes, autodiff::VariableArena& arena, Generator& gen) {
  SPOOL_CHECK(!built_, InvalidArgument, type(), " ", quoted(name_),
              ": already built (a layer belongs to one model; make a new one)");
  if (name_.empty()) name_ = default_name();
  output_shape_ = build_list(input_shapes, arena, gen);
  input_shapes_ = input_shapes;
  built_ = true;
  pending_.reset();
  return output_shape_;
}

Shape Layer::build_list(const std::vector<Shape>& input_shapes, autodiff::VariableArena& arena, Generator& gen) {
  SPOOL_CHECK(input_shapes.size() == 1, InvalidArgument, type(), " ", quoted(name_), ": takes one input, got ",
              input_shapes.size());
  return build_layer(input_shapes[0], arena, gen);
}

Tensor Layer::call_list(const std::vector<Tensor>& inputs, const CallContext& context) const {
  return call(inputs.at(0), context);
}

void Layer::build_if_pending(const std::vector<Tensor>& inputs) {
  if (built_ || !pending_) return;
  std::vector<Shape> shapes;
  for (const Tensor& x : inputs) {
    SPOOL_CHECK(x.rank() >= 1, InvalidArgument, type(), " ", quoted(name_), ": input ", x.shape().to_string(),
                " has no batch axis");
    shapes.emplace_back(std::vector<std::int64_t>(x.shape().dims().begin() + 1, x.shape().dims().end()));
  }
  PendingBuild pending = std::move(*pending_);
  build(shapes, *pending.arena, pending.gen);
}

void Layer::check_input(const Tensor& x, const Shape& shape, const std::string& which) const {
  const auto& dims = x.shape().dims();
  const bool match =
      x.rank() == shape.rank() + 1 && std::equal(dims.begin() + 1, dims.end(), shape.dims().begin());
  SPOOL_CHECK(match, InvalidArgument, type(), " ", quoted(name_), ": input", which, " ", x.shape().to_string(),
              " does not match the built input shape ", batch_shape_string(shape));
  const bool floating = x.dtype() == DType::kF32 || x.dtype() == DType::kF64;
  SPOOL_CHECK(!floating || variables_.empty() || x.dtype() == variables_[0].dtype(), InvalidArgument, type(), " ",
              quoted(name_), ": input", which, " is ", dtype_name(x.dtype()), ", its variables ",
              dtype_name(variables_[0].dtype()));
}

void Layer::check_float_input(const Tensor& x) const {
  if (variables_.empty() || x.dtype() == variables_[0].dtype()) return;
  SPOOL_THROW(InvalidArgument, type(), " ", quoted(name_), ": input dtype ", dtype_name(x.dtype()), ", expected ",
              dtype_name(variables_[0].dtype()), " (cast first)");
}

Tensor Layer::operator()(const Tensor& x, const CallContext& context) {
  if (takes_list()) return (*this)(std::vector<Tensor>{x}, context);
  build_if_pending({x});
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": called before build()");
  check_input(x, input_shapes_[0], "");
  return context.training ? call_training(x, context) : call(x, context);
}

Tensor Layer::operator()(const std::vector<Tensor>& inputs, const CallContext& context) {
  if (!takes_list()) {
    SPOOL_CHECK(inputs.size() == 1, InvalidArgument, type(), " ", quoted(name_), ": takes one input, got a list of ",
                inputs.size());
    return (*this)(inputs[0], context);
  }
  build_if_pending(inputs);
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": called before build()");
  SPOOL_CHECK(inputs.size() == input_shapes_.size(), InvalidArgument, type(), " ", quoted(name_), ": built for ",
              input_shapes_.size(), " inputs, called with ", inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) check_input(inputs[i], input_shapes_[i], " " + std::to_string(i));
  return call_list(inputs, context);
}

const Shape& Layer::input_shape() const {
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": has no input shape before build()");
  SPOOL_CHECK(input_shapes_.size() == 1, InvalidArgument, type(), " ", quoted(name_), ": has ", input_shapes_.size(),
              " inputs; see input_shapes()");
  return input_shapes_[0];
}

const std::vector<Shape>& Layer::input_shapes() const {
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": has no input shapes before build()");
  return input_shapes_;
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

void Layer::trainable(bool trainable) {
  trainable_ = trainable;
  for (std::size_t i = 0; i < variables_.size(); ++i) variables_[i].trainable(trainable && made_trainable_[i]);
}

autodiff::Variable Layer::add_variable(autodiff::VariableArena& arena, const std::string& short_name,
                                       const Tensor& initial, bool trainable) {
  const Tensor value = initial.dtype() == arena.dtype() ? initial : initial.cast(arena.dtype());
  variables_.push_back(arena.add(name_ + "/" + short_name, value, trainable && trainable_));
  made_trainable_.push_back(trainable);
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

std::string unique_layer_name(const std::string& stem, const std::function<bool(const std::string&)>& taken,
                              bool one_based) {
  if (!one_based && !taken(stem)) return stem;
  for (int k = 1;; ++k) {
    std::string candidate = stem + "_" + std::to_string(k);
    if (!taken(candidate)) return candidate;
  }
}

}  // namespace spool::layers
