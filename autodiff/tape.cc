#include "spool/autodiff/tape.h"

#include <algorithm>

#include "spool/autodiff/detail/tape_impl.h"
#include "spool/autodiff/graph/detail/backward_node.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/shape.h"

namespace spool::autodiff {
namespace detail {
namespace {

struct ThreadTapes {
  std::vector<TapeImpl*> tapes;  // oldest first
  int paused_all = 0;
};
thread_local ThreadTapes t_tapes;

bool is_float(DType d) { return d == DType::kF32 || d == DType::kF64; }

// A tensor of `shape` that is zero but for ones at positions first, first + stride, ...
// (count of them): the seed of one jacobian row.
Tensor ones_at(const Shape& shape, DType dtype, std::int64_t first, std::int64_t stride, std::int64_t count) {
  Tensor seed = Tensor::zeros(shape, dtype);
  visit_dtype(dtype, [&]<typename T>() {
    T* p = seed.data<T>();
    for (std::int64_t i = 0; i < count; ++i) p[first + i * stride] = T(1);
  });
  return seed;
}

}  // namespace

std::span<TapeImpl* const> active_tapes() { return t_tapes.tapes; }
bool all_paused() { return t_tapes.paused_all > 0; }
PauseAllTapes::PauseAllTapes() { ++t_tapes.paused_all; }
PauseAllTapes::~PauseAllTapes() { --t_tapes.paused_all; }

void variable_read(const Tensor& value) {
  if (t_tapes.tapes.empty() || t_tapes.paused_all > 0) return;
  for (TapeImpl* tape : t_tapes.tapes)
    if (tape->recording() && tape->watches_variables()) tape->watch(value);
}

std::int32_t TapeImpl::find(const TensorKey& key) const {
  if (key.storage == nullptr) return -1;
  const auto it = ids_.find(key);
  if (it == ids_.end() || tracked_[static_cast<std::size_t>(it->second)].storage.expired()) return -1;
  return it->second;
}

std::int32_t TapeImpl::track(const Tensor& t, std::int32_t producer) {
  const auto id = static_cast<std::int32_t>(tracked_.size());
  tracked_.push_back(Tracked{t.storage(), producer});
  ids_.insert_or_assign(key_of(t), id);
  return id;
}

void TapeImpl::watch(const Tensor& t) {
  SPOOL_CHECK(t.defined() && is_float(t.dtype()), InvalidArgument,
              "GradientTape.watch: only f32/f64 tensors have gradients, got ",
              t.defined() ? std::string(dtype_name(t.dtype())) + " " + t.shape().to_string() : "an undefined tensor");
  if (find(key_of(t)) < 0) track(t, -1);
}

void TapeImpl::add_node(const Tensor& output, std::span<const std::int32_t> input_ids, std::shared_ptr<BackwardFn> fn) {
  if (find(key_of(output)) >= 0) return;  // an identity: the output already is a tracked tensor
  const auto begin = static_cast<std::uint32_t>(node_inputs_.size());
  node_inputs_.insert(node_inputs_.end(), input_ids.begin(), input_ids.end());
  const std::int32_t out = track(output, static_cast<std::int32_t>(nodes_.size()));
  nodes_.push_back(Node{out, begin, static_cast<std::uint32_t>(input_ids.size()), std::move(fn)});
}

void TapeImpl::begin_gradient_call(const char* what) {
  SPOOL_CHECK(persistent() || !consumed_, InvalidArgument, "GradientTape.", what,
              ": a non-persistent tape gives one gradient() or jacobian() call and it was made already; "
              "use TapeOptions().persistent(true) for several");
  if (!persistent()) consumed_ = true;
}

void TapeImpl::clear() {
  std::unordered_map<TensorKey, std::int32_t, TensorKeyHash>().swap(ids_);
  std::vector<Tracked>().swap(tracked_);
  std::vector<Node>().swap(nodes_);
  std::vector<std::int32_t>().swap(node_inputs_);
}

std::vector<Tensor> TapeImpl::sweep(const Tensor& target, std::span<const Tensor> sources, const Tensor& seed,
                                    UnconnectedGradients unconnected, bool release) {
  // mark[id]: 2 for a source, 1 for a tensor computed from a source, 0 otherwise. The
  // forward pass over the nodes up to the target's decides which inputs need gradients.
  constexpr char kSource = 2, kFromSource = 1;
  std::vector<char> mark(tracked_.size(), 0);
  std::vector<std::int32_t> source_ids(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    source_ids[i] = find(key_of(sources[i]));
    if (source_ids[i] >= 0) mark[static_cast<std::size_t>(source_ids[i])] = kSource;
  }
  std::vector<Tensor> grads(tracked_.size());
  const std::int32_t target_id = find(key_of(target));
  const std::int32_t last = target_id >= 0 ? tracked_[static_cast<std::size_t>(target_id)].producer : -1;
  for (std::int32_t k = 0; k <= last; ++k) {
    const Node& node = nodes_[static_cast<std::size_t>(k)];
    char& out = mark[static_cast<std::size_t>(node.output)];
    for (std::uint32_t i = 0; i < node.inputs_count && out == 0; ++i) {
      const std::int32_t in = node_inputs_[node.inputs_begin + i];
      if (in >= 0 && mark[static_cast<std::size_t>(in)]) out = kFromSource;
    }
  }
  if (target_id >= 0 && mark[static_cast<std::size_t>(target_id)]) {
    grads[static_cast<std::size_t>(target_id)] = seed;
    std::vector<Tensor> dx;
    std::vector<char> needs;
    for (std::int32_t k = last; k >= 0; --k) {  // execution order reversed: consumers first
      Node& node = nodes_[static_cast<std::size_t>(k)];
      const auto out = static_cast<std::size_t>(node.output);
      if (!mark[out] || !grads[out].defined()) continue;
      SPOOL_CHECK(node.fn != nullptr, InternalError, "GradientTape: op #", k, " was released by an earlier sweep");
      dx.assign(node.inputs_count, Tensor());
      needs.assign(node.inputs_count, 0);
      for (std::uint32_t i = 0; i < node.inputs_count; ++i) {
        const std::int32_t in = node_inputs_[node.inputs_begin + i];
        needs[i] = in >= 0 && mark[static_cast<std::size_t>(in)] ? 1 : 0;
      }
      // A source keeps its gradient for the result; any other is freed once passed.
      const Tensor dy = mark[out] == kSource ? grads[out] : std::move(grads[out]);
      if (graph::detail::recording_tracer() != nullptr) {
        graph::detail::record_backward(node.fn, dy, dx, needs);
      } else {
        GradContext g(dy, dx, needs);
        node.fn->run(g);
      }
      if (release) node.fn.reset();
      for (std::uint32_t i = 0; i < node.inputs_count; ++i) {
        if (!needs[i] || !dx[i].defined()) continue;
        Tensor& acc = grads[static_cast<std::size_t>(node_inputs_[node.inputs_begin + i])];
        acc = acc.defined() ? add(acc, dx[i]) : std::move(dx[i]);
      }
    }
  }
  std::vector<Tensor> result(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (source_ids[i] >= 0) result[i] = grads[static_cast<std::size_t>(source_ids[i])];
    if (!result[i].defined() && unconnected == UnconnectedGradients::kZero && sources[i].defined()) {
      const graph::ConstantScope constant;  // zeros at every call
      result[i] = Tensor::zeros(sources[i].shape(), sources[i].dtype());
    }
  }
  return result;
}

}  // namespace detail

GradientTape::GradientTape(const TapeOptions& options) : impl_(std::make_unique<detail::TapeImpl>(options)) {
  detail::t_tapes.tapes.push_back(impl_.get());
}

GradientTape::~GradientTape() {
  auto& tapes = detail::t_tapes.tapes;
  tapes.erase(std::remove(tapes.begin(), tapes.end(), impl_.get()), tapes.end());
}

void GradientTape::watch(const Tensor& t) { impl_->watch(t); }
void GradientTape::watch(const Variable& v) { impl_->watch(v.unwatched_value()); }
bool GradientTape::persistent() const { return impl_->persistent(); }
std::int64_t GradientTape::recorded_ops() const { return impl_->size(); }

GradientTape::StopRecording::StopRecording(detail::TapeImpl* tape) : tape_(tape) { ++tape_->paused_; }
GradientTape::StopRecording::~StopRecording() { --tape_->paused_; }
GradientTape::StopRecording GradientTape::stop_recording() { return StopRecording(impl_.get()); }

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           UnconnectedGradients unconnected) {
  return gradient(target, sources, Tensor(), unconnected);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, std::span<const Variable> sources,
                                           UnconnectedGradients unconnected) {
  std::vector<Tensor> tensors;
  tensors.reserve(sources.size());
  for (const Variable& v : sources) tensors.push_back(v.unwatched_value());
  return gradient(target, tensors, Tensor(), unconnected);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const Tensor& output_gradient, UnconnectedGradients unconnected) {
  SPOOL_CHECK(target.defined() && detail::is_float(target.dtype()), InvalidArgument,
              "GradientTape.gradient: the target must be an f32/f64 tensor, got ",
              target.defined() ? std::string(dtype_name(target.dtype())) : "an undefined tensor");
  if (output_gradient.defined())
    SPOOL_CHECK(output_gradient.shape() == target.shape() && output_gradient.dtype() == target.dtype(), InvalidArgument,
                "GradientTape.gradient: output_gradient ", dtype_name(output_gradient.dtype()),
                output_gradient.shape().to_string(), " does not match the target ", dtype_name(target.dtype()),
                target.shape().to_string());
  impl_->begin_gradient_call("gradient");
  const Tensor seed = output_gradient.defined() ? output_gradient : [&] {
    const graph::ConstantScope constant;  // a traced function's seed: the same ones at every call
    return Tensor::ones(target.shape(), target.dtype());
  }();
  std::vector<Tensor> result;
  {
    StopRecording pause(impl_.get());
    result = impl_->sweep(target, sources, seed, unconnected, !persistent());
  }
  if (!persistent()) impl_->clear();
  return result;
}

Tensor GradientTape::jacobian(const Tensor& target, const Tensor& source, UnconnectedGradients unconnected) {
  SPOOL_CHECK(target.defined() && source.defined(), InvalidArgument, "GradientTape.jacobian: undefined ",
              target.defined() ? "source" : "target");
  impl_->begin_gradient_call("jacobian");
  std::vector<std::int64_t> dims = target.shape().dims();
  dims.insert(dims.end(), source.shape().dims().begin(), source.shape().dims().end());
  return stacked_sweeps(target, source, target.numel(), 0, 1, 0, dims, unconnected);
}

Tensor GradientTape::batch_jacobian(const Tensor& target, const Tensor& source, UnconnectedGradients unconnected) {
  SPOOL_CHECK(target.defined() && source.defined() && target.rank() >= 1 && source.rank() >= 1 &&
                  target.dim(0) == source.dim(0),
              InvalidArgument,
              "GradientTape.batch_jacobian: target and source need the same leading (batch) axis, got ",
              target.defined() ? target.shape().to_string() : "undefined", " and ",
              source.defined() ? source.shape().to_string() : "undefined");
  impl_->begin_gradient_call("batch_jacobian");
  const std::int64_t batch = target.dim(0);
  const std::int64_t per_row = batch == 0 ? 0 : target.numel() / batch;
  std::vector<std::int64_t> dims = target.shape().dims();
  dims.insert(dims.end(), source.shape().dims().begin() + 1, source.shape().dims().end());
  return stacked_sweeps(target, source, per_row, per_row, batch, 1, dims, unconnected);
}

Tensor GradientTape::stacked_sweeps(const Tensor& target, const Tensor& source, std::int64_t seeds, std::int64_t stride,
                                    std::int64_t count, std::int64_t axis, const std::vector<std::int64_t>& dims,
                                    UnconnectedGradients unconnected) {
  std::vector<Tensor> grads;
  bool connected = false;
  {
    StopRecording pause(impl_.get());
    for (std::int64_t r = 0; r < seeds; ++r) {
      const Tensor seed = detail::ones_at(target.shape(), target.dtype(), r, stride, count);
      const bool release = !persistent() && r + 1 == seeds;
      Tensor g = impl_->sweep(target, std::span(&source, 1), seed, UnconnectedGradients::kNone, release)[0];
      connected = connected || g.defined();
      grads.push_back(g.defined() ? g : Tensor::zeros(source.shape(), source.dtype()));
    }
  }
  if (!persistent()) impl_->clear();
  if (!connected && unconnected == UnconnectedGradients::kNone) return Tensor();
  if (seeds == 0) return Tensor::zeros(Shape(dims), source.dtype());
  return reshape(stack(grads, axis), dims);
}

Tensor stop_gradient(const Tensor& t) {
  SPOOL_GRAPH_OP(stop_gradient, t);
  if (!t.defined()) return t;
  // Traced, a copy: graph mode moves a node's bytes into its arena after the trace,
  // which an alias of them under a Storage of its own would not follow.
  if (!t.is_contiguous() || graph::in_graph()) return t.clone();
  std::shared_ptr<Storage> keep = t.storage();
  auto alias = Storage::wrap(keep->data(), keep->size(), [keep](void*) {});
  return Tensor(std::move(alias), t.dtype(), t.shape(), t.offset());
}

}  // namespace spool::autodiff
