#include "spool/autodiff/layers/model.h"

#include <algorithm>
#include <ostream>

#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/detail/tape_impl.h"
#include "spool/autodiff/layers/summary.h"

namespace spool::layers {

Model::Model(std::string name, DType dtype) : name_(std::move(name)), arena_(dtype) {}

std::shared_ptr<Layer> Model::add_layer(std::shared_ptr<Layer> layer) {
  SPOOL_CHECK(layer != nullptr, InvalidArgument, type(), " ", quoted(name_), ": add of a null layer");
  SPOOL_CHECK(!built_, InvalidArgument, type(), " ", quoted(name_), ": cannot add ", layer->type(), " after build()");
  SPOOL_CHECK(!layer->built() && !layer->in_model_, InvalidArgument, type(), " ", quoted(name_), ": ", layer->type(),
              " ", quoted(layer->name()), " already belongs to a model (make a new one)");
  const auto taken = [&](const std::string& n) {
    return std::any_of(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == n; });
  };
  if (layer->name().empty()) layer->set_name(unique_layer_name(layer->default_name(), taken));
  SPOOL_CHECK(!taken(layer->name()), InvalidArgument, type(), " ", quoted(name_), ": two layers named ",
              quoted(layer->name()), " (layer and variable names must be unique)");
  layer->in_model_ = true;
  layers_.push_back(layer);
  return layer;
}

void Model::build(const Shape& input_shape, std::uint64_t seed) { build(std::vector<Shape>{input_shape}, seed); }

void Model::build(const std::vector<Shape>& input_shapes, std::uint64_t seed) {
  SPOOL_CHECK(!built_, InvalidArgument, type(), " ", quoted(name_), ": already built");
  SPOOL_CHECK(!layers_.empty(), InvalidArgument, type(), " ", quoted(name_), ": build() with no layers");
  SPOOL_CHECK(!input_shapes.empty(), InvalidArgument, type(), " ", quoted(name_), ": build() with no input shape");
  output_shapes_ = build_layers(input_shapes, Generator(seed));
  input_shapes_ = input_shapes;
  built_ = true;
}

std::vector<Shape> Model::build_layers(const std::vector<Shape>& input_shapes, const Generator& root) {
  for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i]->pending_ = Layer::PendingBuild{&arena_, root.fork(i)};
  struct Cancel {  // a layer the trace did not reach must not build on a later call
    std::vector<std::shared_ptr<Layer>>& layers;
    ~Cancel() {
      for (const auto& l : layers) l->pending_.reset();
    }
  } cancel{layers_};
  std::vector<Tensor> probes;
  for (const Shape& shape : input_shapes) {
    std::vector<std::int64_t> dims{1};
    dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
    probes.push_back(Tensor::zeros(Shape(std::move(dims)), arena_.dtype()));
  }
  std::vector<Tensor> outputs;
  {
    autodiff::detail::PauseAllTapes pause;  // building is not part of any gradient
    outputs = call_list(probes, CallContext{});
  }
  for (const auto& l : layers_) {
    SPOOL_CHECK(l->built(), InvalidArgument, type(), " ", quoted(name_), ": ", l->type(), " ", quoted(l->name()),
                " was added but call() does not use it (every layer added must be called)");
  }
  std::vector<Shape> shapes;
  for (const Tensor& y : outputs) {
    SPOOL_CHECK(y.rank() >= 1 && y.dim(0) == 1, InvalidArgument, type(), " ", quoted(name_), ": call() returned ",
                y.shape().to_string(), " for one example (the batch axis must come through)");
    shapes.emplace_back(std::vector<std::int64_t>(y.shape().dims().begin() + 1, y.shape().dims().end()));
  }
  return shapes;
}

Tensor Model::call(const Tensor& /*x*/, const CallContext& /*context*/) const {
  SPOOL_THROW(InvalidArgument, type(), " ", quoted(name_),
              ": has no forward pass (a subclass overrides call, or call_list for several inputs)");
}

std::vector<Tensor> Model::call_list(const std::vector<Tensor>& inputs, const CallContext& context) const {
  SPOOL_CHECK(inputs.size() == 1, InvalidArgument, type(), " ", quoted(name_), ": takes one input, got ",
              inputs.size(), " (a subclass with several overrides call_list)");
  return {call(inputs[0], context)};
}

Tensor Model::operator()(const Tensor& x, const CallContext& context) {
  std::vector<Tensor> outputs = (*this)(std::vector<Tensor>{x}, context);
  SPOOL_CHECK(outputs.size() == 1, InvalidArgument, type(), " ", quoted(name_), ": has ", outputs.size(),
              " outputs; call it with a list");
  return outputs[0];
}

std::vector<Tensor> Model::operator()(const std::vector<Tensor>& inputs, const CallContext& context) {
  check_built("called");
  SPOOL_CHECK(inputs.size() == input_shapes_.size(), InvalidArgument, type(), " ", quoted(name_), ": takes ",
              input_shapes_.size(), " inputs, got ", inputs.size());
  return call_list(inputs, context);
}

Tensor Model::infer(const Tensor& x) const {
  std::vector<Tensor> outputs = infer(std::vector<Tensor>{x});
  SPOOL_CHECK(outputs.size() == 1, InvalidArgument, type(), " ", quoted(name_), ": has ", outputs.size(),
              " outputs; call infer with a list");
  return outputs[0];
}

std::vector<Tensor> Model::infer(const std::vector<Tensor>& inputs) const {
  check_built("called");
  SPOOL_CHECK(inputs.size() == input_shapes_.size(), InvalidArgument, type(), " ", quoted(name_), ": takes ",
              input_shapes_.size(), " inputs, got ", inputs.size());
  return call_list(inputs, CallContext{.training = false, .rng = nullptr});
}

Layer& Model::layer(const std::string& name) const {
  std::string names;
  for (const auto& l : layers_) {
    if (l->name() == name) return *l;
    names += (names.empty() ? "" : ", ") + quoted(l->name());
  }
  SPOOL_THROW(InvalidArgument, type(), " ", quoted(name_), ": no layer ", quoted(name), " (layers: ", names, ")");
}

const Shape& Model::input_shape() const {
  SPOOL_CHECK(input_shapes().size() == 1, InvalidArgument, type(), " ", quoted(name_), ": has ",
              input_shapes_.size(), " inputs; see input_shapes()");
  return input_shapes_[0];
}

const Shape& Model::output_shape() const {
  SPOOL_CHECK(output_shapes().size() == 1, InvalidArgument, type(), " ", quoted(name_), ": has ",
              output_shapes_.size(), " outputs; see output_shapes()");
  return output_shapes_[0];
}

const std::vector<Shape>& Model::input_shapes() const {
  check_built("has no input shape");
  return input_shapes_;
}

const std::vector<Shape>& Model::output_shapes() const {
  check_built("has no output shape");
  return output_shapes_;
}

std::int64_t Model::count_params() const {
  std::int64_t n = 0;
  for (const auto& l : layers_) n += l->count_params();
  return n;
}

std::int64_t Model::trainable_params() const {
  std::int64_t n = 0;
  for (const auto& l : layers_) n += l->trainable_params();
  return n;
}

void Model::trainable(bool trainable) {
  for (const auto& l : layers_) l->trainable(trainable);
}

std::string Model::summary() const {
  check_built("has no summary");
  std::vector<SummaryRow> rows;
  for (const auto& l : layers_) rows.push_back(summary_row(*l));
  return summary_table(name_, rows, /*connections=*/false, count_params(), trainable_params());
}

void Model::print_summary(std::ostream& out) const { out << summary(); }

void Model::save_weights(const std::string& dir) const {
  check_built("has no weights to save");
  autodiff::save_checkpoint(dir, variables(), nullptr, autodiff::TrainingState{});
}

void Model::load_weights(const std::string& dir) {
  check_built("cannot load weights");
  autodiff::restore_checkpoint(dir, variables(), nullptr);
}

void Model::check_built(const char* what) const {
  SPOOL_CHECK(built_, InvalidArgument, type(), " ", quoted(name_), ": ", what, " before build()");
}

}  // namespace spool::layers
