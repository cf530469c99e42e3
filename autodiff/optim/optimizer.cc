#include "spool/autodiff/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_set>

#include "spool/autodiff/cross_replica.h"
#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/optim/detail/update_kernels.h"
#include "spool/tensor/thread_pool.h"
#include "spool/tensor/warning.h"

namespace spool::autodiff {
namespace {

// A Variable's identity: copies of a handle share one state, and name() returns a
// reference into it, so its address is stable for the variable's life (arena growth
// rebinds the value, not the state).
const void* identity(const Variable& v) { return &v.name(); }

double sum_squares(const Tensor& g) {
  if (g.dtype() == DType::kF32) return detail::sum_squares(g.data<float>(), g.numel());
  return detail::sum_squares(g.data<double>(), g.numel());
}

}  // namespace

// A gradient waiting for its step: the variable's entry, its contiguous gradient, and
// the clipping factor.
struct Optimizer::Pending {
  const Entry* entry;
  Tensor grad;
  double scale = 1;
};

Optimizer::Optimizer(std::string kind, const OptimizerCommon& common, std::vector<SlotSpec> slots)
    : kind_(std::move(kind)), common_(common), slot_specs_(std::move(slots)) {
  SPOOL_CHECK(slot_specs_.size() <= kMaxSlots, InternalError, kind_, ": ", slot_specs_.size(), " slots, at most ",
              kMaxSlots);
  SPOOL_CHECK(common_.clipnorm >= 0 && common_.global_clipnorm >= 0, InvalidArgument, kind_,
              ": clipnorm and global_clipnorm must be >= 0 (0 is off), got ", common_.clipnorm, " and ",
              common_.global_clipnorm);
  SPOOL_CHECK(common_.clipnorm == 0 || common_.global_clipnorm == 0, InvalidArgument, kind_,
              ": set clipnorm (", common_.clipnorm, ") or global_clipnorm (", common_.global_clipnorm,
              "), not both");
  if (!common_.learning_rate.is_schedule()) {
    const double lr = common_.learning_rate.at(0);
    SPOOL_CHECK(lr >= 0, InvalidArgument, kind_, ": learning_rate must be >= 0, got ", lr);
  }
}

Optimizer::~Optimizer() = default;

void Optimizer::build(std::span<const Variable> variables) {
  // New variables grouped by the storage they live in (one arena = one group), in
  // order of first appearance.
  std::vector<std::pair<const Storage*, std::vector<Variable>>> fresh;
  std::unordered_set<const void*> seen;
  for (const Variable& v : variables) {
    SPOOL_CHECK(v.defined(), InvalidArgument, kind_, ": an undefined Variable among the variables");
    if (index_.contains(identity(v)) || !seen.insert(identity(v)).second) continue;
    const Tensor& value = v.unwatched_value();
    SPOOL_CHECK(value.is_contiguous(), InternalError, kind_, ": variable ", quoted(v.name()), " is not contiguous");
    const Storage* storage = value.storage().get();
    auto it = std::find_if(fresh.begin(), fresh.end(), [&](const auto& f) {
      return f.first == storage && f.second.front().dtype() == v.dtype();
    });
    if (it == fresh.end()) fresh.push_back({storage, {v}});
    else it->second.push_back(v);
  }
  for (const auto& [storage, vars] : fresh) {
    std::int64_t begin = vars.front().unwatched_value().offset(), end = begin;
    for (const Variable& v : vars) {
      begin = std::min(begin, v.unwatched_value().offset());
      end = std::max(end, v.unwatched_value().offset() + v.unwatched_value().numel());
    }
    std::vector<Tensor> buffers;
    for (const SlotSpec& spec : slot_specs_)
      buffers.push_back(Tensor::full(Shape{end - begin}, spec.initial_value, vars.front().dtype()));
    groups_.push_back(std::move(buffers));
    for (const Variable& v : vars) {
      index_.emplace(identity(v), entries_.size());
      entries_.push_back(Entry{v, groups_.size() - 1, v.unwatched_value().offset() - begin});
    }
  }
}

void Optimizer::set_grad_scales(std::vector<Pending>& pending) const {
  if (common_.clipnorm > 0) {
    const double clip = common_.clipnorm;
    for (Pending& p : pending) p.scale = clip / std::max(std::sqrt(sum_squares(p.grad)), clip);
  } else if (common_.global_clipnorm > 0) {
    double total = 0;
    for (const Pending& p : pending) total += sum_squares(p.grad);
    const double norm = std::sqrt(total), clip = common_.global_clipnorm;
    // tf.clip_by_global_norm: NaN when the norm is not finite, so the step shows it.
    const double scale = clip * std::min(1.0 / norm, 1.0 / clip) + (norm - norm);
    for (Pending& p : pending) p.scale = scale;
  }
}

void Optimizer::report_missing(std::span<const Tensor> grads, std::span<const Variable> variables) {
  if (common_.missing_gradients == MissingGradients::kIgnore) return;
  std::string names;
  for (std::size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined()) names += (names.empty() ? "" : ", ") + quoted(variables[i].name());
  if (names.empty()) return;
  const std::string message = kind_ + ".apply_gradients: gradients do not exist for variables " + names +
                              " when minimizing the loss (the loss does not depend on them through recorded ops)";
  SPOOL_CHECK(common_.missing_gradients != MissingGradients::kError, InvalidArgument, message);
  if (warned_missing_.insert(names).second) warn(message);
}

bool Optimizer::recorded_as_node(std::span<const Tensor> grads, std::span<const Variable> variables,
                                 double learning_rate_scale) {
  if (graph::detail::recording_tracer() == nullptr) return false;
  // A traced step: the update is one node, rerun at each replay with the step count
  // and learning rate of that moment. Its allocations are the allocator's, not planned
  // buffers: the slots it makes at its first run are state, and under a strategy the
  // replicas share the work (and the buffers) of one update.
  std::vector<Tensor> g(grads.begin(), grads.end());
  std::vector<Variable> v(variables.begin(), variables.end());
  const std::string name = "apply_gradients(" + kind_ + ")";
  graph::record_node(
      name.c_str(),
      [this, g, v, learning_rate_scale] {
        if (learning_rate_scale == 1) apply_gradients(g, v);
        else apply_gradients(g, v, learning_rate_scale);
      },
      g, graph::NodeAllocations::kUnplanned);
  return true;
}

void Optimizer::apply_gradients(std::span<const Tensor> grads, std::span<const Variable> variables) {
  if (recorded_as_node(grads, variables, 1)) return;
  if (CrossReplica* cross = current_cross_replica()) {
    SPOOL_CHECK(grads.size() == variables.size(), InvalidArgument, kind_, ".apply_gradients: ", grads.size(),
                " gradients for ", variables.size(), " variables");
    // Inside a replica: the strategy sums every replica's gradients, then every replica
    // updates its share of the elements with the sum (cross_replica.h). Each element's
    // update is independent, so the shares change nothing in the result.
    cross->apply_once(grads, variables,
                      [&](std::span<const Tensor> summed, int part, int parts, const std::function<void()>& sync) {
                        if (part == 0) {
                          shared_runs_ = prepare_runs(summed, variables, &shared_learning_rate_, &shared_grads_);
                        }
                        sync();
                        update_runs(shared_runs_, shared_learning_rate_, part, parts);
                        sync();
                        if (part == 0) {
                          ++iterations_;
                          shared_grads_.clear();
                        }
                      });
    return;
  }
  apply_gradients(grads, variables, 1.0);
}

void Optimizer::apply_gradients(std::span<const Tensor> grads, std::span<const Variable> variables,
                                double learning_rate_scale) {
  SPOOL_CHECK(grads.size() == variables.size(), InvalidArgument, kind_, ".apply_gradients: ", grads.size(),
              " gradients for ", variables.size(), " variables");
  if (recorded_as_node(grads, variables, learning_rate_scale)) return;
  SPOOL_CHECK(learning_rate_scale >= 0, InvalidArgument, kind_, ".apply_gradients: learning_rate_scale must be >= 0, got ",
              learning_rate_scale);
  SPOOL_CHECK(learning_rate_scale == 1 || current_cross_replica() == nullptr, InvalidArgument, kind_,
              ".apply_gradients: a learning_rate_scale inside a strategy's replica (the replicas' sum takes one step "
              "at the optimizer's own rate)");
  double lr = 0;
  std::vector<Tensor> kept;
  const std::vector<Run> runs = prepare_runs(grads, variables, &lr, &kept, learning_rate_scale);
  update_runs(runs, lr, 0, 1);
  ++iterations_;
}

std::vector<Optimizer::Run> Optimizer::prepare_runs(std::span<const Tensor> grads, std::span<const Variable> variables,
                                                    double* learning_rate, std::vector<Tensor>* kept,
                                                    double learning_rate_scale) {
  report_missing(grads, variables);
  build(variables);
  std::vector<Pending> pending;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) continue;
    const Variable& v = variables[i];
    SPOOL_CHECK(grads[i].dtype() == v.dtype() && grads[i].shape() == v.shape(), InvalidArgument, kind_,
                ".apply_gradients: the gradient of ", quoted(v.name()), " is ", dtype_name(grads[i].dtype()), " ",
                grads[i].shape().to_string(), ", the variable is ", dtype_name(v.dtype()), " ",
                v.shape().to_string());
    pending.push_back(Pending{&entries_[index_.at(identity(v))], grads[i].contiguous()});
  }
  set_grad_scales(pending);

  // The runs point into the contiguous gradients: *kept holds them for the caller.
  for (const Pending& p : pending) kept->push_back(p.grad);
  // Runs: variables adjacent in their group whose gradients are adjacent too (views of
  // one gradient buffer laid out like the arena) are updated by one loop.
  std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    return std::tie(a.entry->group, a.entry->offset) < std::tie(b.entry->group, b.entry->offset);
  });
  *learning_rate = common_.learning_rate.at(iterations_) * learning_rate_scale;
  std::vector<Run> runs;
  std::size_t i = 0;
  while (i < pending.size()) {
    const Entry& first = *pending[i].entry;
    const std::size_t element = first.variable.unwatched_value().element_size();
    auto* param = static_cast<char*>(first.variable.unwatched_value().raw_data());
    const auto* grad = static_cast<const char*>(pending[i].grad.raw_data());
    std::int64_t n = first.variable.unwatched_value().numel();
    std::size_t j = i + 1;
    for (; j < pending.size(); ++j) {
      const Entry& next = *pending[j].entry;
      if (next.group != first.group || next.offset != first.offset + n || pending[j].scale != pending[i].scale ||
          next.variable.unwatched_value().raw_data() != param + n * element ||
          pending[j].grad.raw_data() != grad + n * element)
        break;
      n += next.variable.unwatched_value().numel();
    }
    Run run{first.variable.dtype(), param, grad, {}, n, pending[i].scale};
    for (std::size_t s = 0; s < slot_specs_.size(); ++s)
      run.slots[s] = static_cast<char*>(groups_[first.group][s].raw_data()) + first.offset * element;
    if (n > 0) runs.push_back(run);
    i = j;
  }
  return runs;
}

void Optimizer::update_runs(const std::vector<Run>& runs, double learning_rate, int part, int parts) {
  for (const Run& run : runs) {
    const std::int64_t begin = run.n * part / parts, end = run.n * (part + 1) / parts;
    if (begin == end) continue;
    Run share = run;
    const std::size_t skip = static_cast<std::size_t>(begin) * dtype_size(run.dtype);
    share.param = static_cast<char*>(run.param) + skip;
    share.grad = static_cast<const char*>(run.grad) + skip;
    for (std::size_t s = 0; s < kMaxSlots; ++s)
      if (run.slots[s] != nullptr) share.slots[s] = static_cast<char*>(run.slots[s]) + skip;
    share.n = end - begin;
    update_in_chunks(share, learning_rate);
  }
}

void Optimizer::update_in_chunks(const Run& run, double learning_rate) {
  // Each element's update is independent of the others, so the cut changes nothing
  // in the result; it only spreads a large model over the kernel pool.
  const std::size_t element = dtype_size(run.dtype);
  const std::int64_t grain = parallel_granularity() == Granularity::kFine ? kParallelGrainFine : kParallelGrain;
  parallel_for(run.n, grain, [&](std::int64_t begin, std::int64_t end) {
    Run part = run;
    const std::size_t skip = static_cast<std::size_t>(begin) * element;
    part.param = static_cast<char*>(run.param) + skip;
    part.grad = static_cast<const char*>(run.grad) + skip;
    for (std::size_t s = 0; s < kMaxSlots; ++s)
      if (run.slots[s] != nullptr) part.slots[s] = static_cast<char*>(run.slots[s]) + skip;
    part.n = end - begin;
    update(part, learning_rate, iterations_ + 1);
  });
}

std::string Optimizer::slot_name(std::size_t slot, const Variable& v) const {
  return "optimizer/" + kind_ + "/" + slot_specs_[slot].name + "/" + v.name();
}

Tensor Optimizer::slot_view(const Entry& e, std::size_t slot) const {
  return groups_[e.group][slot].narrow(0, e.offset, e.variable.shape().numel()).reshape(e.variable.shape().dims());
}

std::vector<NamedTensor> Optimizer::state() const {
  std::vector<NamedTensor> out;
  std::unordered_set<std::string> names;
  for (const Entry& e : entries_) {
    SPOOL_CHECK(names.insert(e.variable.name()).second, InvalidArgument, kind_,
                ".state: two variables are named ", quoted(e.variable.name()), "; the state is keyed by name");
    for (std::size_t s = 0; s < slot_specs_.size(); ++s) out.push_back({slot_name(s, e.variable), slot_view(e, s)});
  }
  out.push_back({iterations_name(), Tensor::scalar<std::int64_t>(iterations_)});
  return out;
}

void Optimizer::load_state(const std::vector<NamedTensor>& tensors) {
  std::map<std::string, const Tensor*> by_name;
  for (const NamedTensor& t : tensors) by_name[t.name] = &t.tensor;
  const std::string prefix = "optimizer/" + kind_ + "/";
  if (entries_.empty() && !slot_specs_.empty()) {
    for (const auto& [name, t] : by_name)
      SPOOL_CHECK(!name.starts_with(prefix) || name == iterations_name(), InvalidArgument, kind_,
                  ".load_state: the state holds ", quoted(name),
                  " but this optimizer knows no variables yet: build(variables) first");
  }
  auto find = [&](const std::string& name, const std::string& what) -> const Tensor& {
    auto it = by_name.find(name);
    SPOOL_CHECK(it != by_name.end(), InvalidArgument, kind_, ".load_state: no tensor ", quoted(name), " for ",
                what);
    return *it->second;
  };
  const Tensor& iterations = find(iterations_name(), "the step counter");
  SPOOL_CHECK(iterations.dtype() == DType::kI64 && iterations.numel() == 1, InvalidArgument, kind_,
              ".load_state: ", quoted(iterations_name()), " must be one i64, got ", dtype_name(iterations.dtype()),
              " ", iterations.shape().to_string());
  // A step count is used as a double (Adam's bias corrections) and incremented: one
  // below 0 or past 2^53 is a damaged file, not a long run.
  const std::int64_t steps = iterations.item<std::int64_t>();
  SPOOL_CHECK(steps >= 0 && steps <= kMaxIterations, InvalidArgument, kind_, ".load_state: ",
              quoted(iterations_name()), " is ", steps, ", outside [0, 2^53]");
  // Check everything before changing anything.
  std::vector<std::pair<Tensor, const Tensor*>> copies;
  for (const Entry& e : entries_) {
    for (std::size_t s = 0; s < slot_specs_.size(); ++s) {
      const std::string name = slot_name(s, e.variable);
      const Tensor& saved = find(name, "variable " + quoted(e.variable.name()));
      SPOOL_CHECK(saved.dtype() == e.variable.dtype() && saved.shape() == e.variable.shape(), InvalidArgument,
                  kind_, ".load_state: ", quoted(name), " is ", dtype_name(saved.dtype()), " ",
                  saved.shape().to_string(), " but variable ", quoted(e.variable.name()), " is ",
                  dtype_name(e.variable.dtype()), " ", e.variable.shape().to_string());
      copies.emplace_back(slot_view(e, s), &saved);
    }
  }
  for (auto& [slot, saved] : copies) {
    const Tensor src = saved->contiguous();
    std::memcpy(slot.raw_data(), src.raw_data(), static_cast<std::size_t>(src.numel()) * src.element_size());
  }
  iterations_ = steps;
}

}  // namespace spool::autodiff
