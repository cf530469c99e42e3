#include "spool/distribute/detail/parameter_shard.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "spool/tensor/error.h"

namespace spool::distribute::detail {

FlatLayout FlatLayout::of(std::span<const autodiff::Variable> all_variables) {
  FlatLayout layout;
  for (const autodiff::Variable& v : all_variables) {
    SPOOL_CHECK(v.trainable(), InvalidArgument, "parameter servers hold trainable variables only; ", quoted(v.name()),
                " is not trainable (a layer's statistics, such as BatchNormalization's, have no server to live on)");
    SPOOL_CHECK(v.dtype() == DType::kF32, InvalidArgument, "parameter servers hold f32 variables; ",
                quoted(v.name()), " is ", dtype_name(v.dtype()));
    layout.variables.push_back(v);
    layout.offsets.push_back(layout.size);
    layout.size += v.unwatched_value().numel();
  }
  return layout;
}

void FlatLayout::pack_values(std::span<float> out) const {
  SPOOL_CHECK(static_cast<std::int64_t>(out.size()) == size, InternalError, "flat layout: ", out.size(), " for ", size);
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const Tensor v = variables[i].unwatched_value().contiguous();
    std::memcpy(out.data() + offsets[i], v.data<float>(), static_cast<std::size_t>(v.numel()) * sizeof(float));
  }
}

void FlatLayout::unpack_values(std::span<const float> in) const {
  SPOOL_CHECK(static_cast<std::int64_t>(in.size()) == size, InternalError, "flat layout: ", in.size(), " for ", size);
  for (std::size_t i = 0; i < variables.size(); ++i) {
    Tensor v = variables[i].unwatched_value();  // aliases the variable's bytes
    SPOOL_CHECK(v.is_contiguous(), InternalError, "flat layout: ", quoted(variables[i].name()), " is not contiguous");
    std::memcpy(v.data<float>(), in.data() + offsets[i],
                static_cast<std::size_t>(v.numel()) * sizeof(float));
  }
}

void FlatLayout::pack(std::span<const Tensor> grads, std::span<float> out) const {
  SPOOL_CHECK(grads.size() == variables.size(), InvalidArgument, "apply_gradients: ", grads.size(),
              " gradients for ", variables.size(), " trainable variables");
  SPOOL_CHECK(static_cast<std::int64_t>(out.size()) == size, InternalError, "flat layout: ", out.size(), " for ", size);
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const std::int64_t n = variables[i].unwatched_value().numel();
    float* slot = out.data() + offsets[i];
    if (!grads[i].defined()) {
      std::memset(slot, 0, static_cast<std::size_t>(n) * sizeof(float));
      continue;
    }
    SPOOL_CHECK(grads[i].dtype() == DType::kF32 && grads[i].shape() == variables[i].shape(), InvalidArgument,
                "apply_gradients: the gradient of ", quoted(variables[i].name()), " is ", dtype_name(grads[i].dtype()),
                " ", grads[i].shape().to_string(), ", the variable is f32 ", variables[i].shape().to_string());
    const Tensor g = grads[i].contiguous();
    std::memcpy(slot, g.data<float>(), static_cast<std::size_t>(n) * sizeof(float));
  }
}

std::string shard_variable_name(int shard) { return "parameter_server/shard" + std::to_string(shard); }

ParameterShard::ParameterShard(int index, std::span<const float> initial, const OptimizerFactory& make_optimizer,
                               bool scale_learning_rate)
    : index_(index),
      size_(static_cast<std::int64_t>(initial.size())),
      scale_learning_rate_(scale_learning_rate),
      weights_(shard_variable_name(index), Tensor::zeros(Shape{size_}, DType::kF32)),
      optimizer_(make_optimizer()) {
  SPOOL_CHECK(optimizer_ != nullptr, InvalidArgument, "parameter server: the optimizer factory gave no optimizer");
  set_weights(initial);
  optimizer_->build(std::span<const autodiff::Variable>(&weights_, 1));
}

std::span<const float> ParameterShard::weights() const {
  return {weights_.unwatched_value().data<float>(), static_cast<std::size_t>(size_)};
}

void ParameterShard::set_weights(std::span<const float> values) {
  SPOOL_CHECK(static_cast<std::int64_t>(values.size()) == size_, InvalidArgument, "parameter server ", index_,
              ": ", values.size(), " values for a shard of ", size_);
  Tensor w = weights_.unwatched_value();  // aliases the variable's bytes
  std::memcpy(w.data<float>(), values.data(), values.size() * sizeof(float));
}

std::int64_t ParameterShard::apply(std::span<const float> gradient, std::int64_t read_version) {
  SPOOL_CHECK(static_cast<std::int64_t>(gradient.size()) == size_, InvalidArgument, "parameter server ", index_,
              ": a gradient of ", gradient.size(), " values for a shard of ", size_);
  SPOOL_CHECK(read_version >= 0 && read_version <= version_, InvalidArgument, "parameter server ", index_,
              ": a gradient computed on version ", read_version, " arrived at version ", version_);
  const std::int64_t staleness = version_ - read_version;
  // The optimizer reads the caller's floats in place (a view; nothing writes to it).
  const Tensor view(Storage::wrap(const_cast<float*>(gradient.data()), gradient.size() * sizeof(float), [](void*) {}),
                    DType::kF32, Shape{size_});
  const double scale = scale_learning_rate_ ? 1.0 / (1.0 + static_cast<double>(staleness)) : 1.0;
  optimizer_->apply_gradients(std::span<const Tensor>(&view, 1), std::span<const autodiff::Variable>(&weights_, 1),
                              scale);
  ++version_;
  histogram_.add(staleness);
  return staleness;
}

namespace {

// The slots of `variable` in an Optimizer::state(), by their prefix: "optimizer/adam/m"
// for "optimizer/adam/m/parameter_server/shard0" (a prefix is "optimizer/<kind>/<slot>",
// so a variable whose name ends like another's is not mistaken for it).
std::map<std::string, const Tensor*> slots_of(const std::vector<NamedTensor>& state, const std::string& variable) {
  std::map<std::string, const Tensor*> slots;
  const std::string suffix = "/" + variable;
  for (const NamedTensor& t : state) {
    if (!t.name.ends_with(suffix)) continue;
    std::string prefix = t.name.substr(0, t.name.size() - suffix.size());
    if (std::count(prefix.begin(), prefix.end(), '/') == 2) slots[std::move(prefix)] = &t.tensor;
  }
  return slots;
}

const NamedTensor* iterations_of(const std::vector<NamedTensor>& state) {
  for (const NamedTensor& t : state)
    if (t.name.ends_with("/iterations")) return &t;
  return nullptr;
}

}  // namespace

std::vector<NamedTensor> gather_optimizer_state(const FlatLayout& layout,
                                                const std::vector<std::vector<NamedTensor>>& shard_states) {
  const int shards = static_cast<int>(shard_states.size());
  std::map<std::string, Tensor> flat;  // slot prefix -> the whole flat vector
  for (int s = 0; s < shards; ++s) {
    const std::int64_t begin = layout.shard_begin(s, shards);
    for (const auto& [prefix, t] : slots_of(shard_states[static_cast<std::size_t>(s)], shard_variable_name(s))) {
      auto [it, fresh] = flat.try_emplace(prefix);
      if (fresh) it->second = Tensor::zeros(Shape{layout.size}, DType::kF32);
      SPOOL_CHECK(t->dtype() == DType::kF32 && t->numel() == layout.shard_end(s, shards) - begin, InvalidArgument,
                  "parameter server ", s, ": its ", prefix, " holds ", t->numel(), " values for a shard of ",
                  layout.shard_end(s, shards) - begin);
      const Tensor c = t->contiguous();
      std::memcpy(it->second.data<float>() + begin, c.data<float>(), static_cast<std::size_t>(c.numel()) * sizeof(float));
    }
  }
  std::vector<NamedTensor> out;
  for (const auto& [prefix, all] : flat) {
    for (std::size_t i = 0; i < layout.variables.size(); ++i) {
      const autodiff::Variable& v = layout.variables[i];
      const std::int64_t n = v.unwatched_value().numel();
      out.push_back({prefix + "/" + v.name(),
                     all.slice(0, layout.offsets[i], layout.offsets[i] + n).reshape(v.shape().dims()).clone()});
    }
  }
  if (!shard_states.empty())
    if (const NamedTensor* it = iterations_of(shard_states[0])) out.push_back(*it);
  return out;
}

std::vector<NamedTensor> split_optimizer_state(const FlatLayout& layout, const std::vector<NamedTensor>& state,
                                               int shard, int shards) {
  std::map<std::string, const Tensor*> by_name;
  for (const NamedTensor& t : state) by_name[t.name] = &t.tensor;
  const std::int64_t begin = layout.shard_begin(shard, shards), end = layout.shard_end(shard, shards);
  std::vector<NamedTensor> out;
  const auto slots = layout.variables.empty() ? std::map<std::string, const Tensor*>{}
                                              : slots_of(state, layout.variables[0].name());
  for (const auto& [prefix, unused] : slots) {
    Tensor part = Tensor::zeros(Shape{end - begin}, DType::kF32);
    for (std::size_t i = 0; i < layout.variables.size(); ++i) {
      const std::int64_t vb = layout.offsets[i], ve = vb + layout.variables[i].unwatched_value().numel();
      const std::int64_t lo = std::max(vb, begin), hi = std::min(ve, end);
      if (lo >= hi) continue;
      const std::string name = prefix + "/" + layout.variables[i].name();
      const auto it = by_name.find(name);
      SPOOL_CHECK(it != by_name.end(), InvalidArgument, "optimizer state: no tensor ", quoted(name), " for variable ",
                  quoted(layout.variables[i].name()));
      SPOOL_CHECK(it->second->dtype() == DType::kF32 && it->second->shape() == layout.variables[i].shape(),
                  InvalidArgument, "optimizer state: ", quoted(name), " is ", dtype_name(it->second->dtype()), " ",
                  it->second->shape().to_string(), " but variable ", quoted(layout.variables[i].name()), " is f32 ",
                  layout.variables[i].shape().to_string());
      const Tensor c = it->second->contiguous();
      std::memcpy(part.data<float>() + (lo - begin), c.data<float>() + (lo - vb),
                  static_cast<std::size_t>(hi - lo) * sizeof(float));
    }
    out.push_back({prefix + "/" + shard_variable_name(shard), part});
  }
  const NamedTensor* iterations = iterations_of(state);
  SPOOL_CHECK(iterations != nullptr, InvalidArgument, "optimizer state: no iterations count");
  out.push_back(*iterations);
  return out;
}

}  // namespace spool::distribute::detail
