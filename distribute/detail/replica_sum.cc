#include "spool/distribute/detail/replica_sum.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <thread>

#include "spool/tensor/error.h"

namespace spool::distribute::detail {
namespace {

// Where each gradient goes in the packed buffer: the variables' own offsets in their
// storage when they share one (an arena: the optimizer then sees one contiguous run),
// else one after the other.
struct Layout {
  std::vector<std::int64_t> offsets;
  std::int64_t size = 0;  // elements, before the per-variable counts
  DType dtype = DType::kF32;
};

Layout layout_of(std::span<const autodiff::Variable> variables) {
  Layout layout;
  if (variables.empty()) return layout;
  layout.dtype = variables[0].dtype();
  const Storage* shared = variables[0].unwatched_value().storage().get();
  std::int64_t lowest = variables[0].unwatched_value().offset();
  for (const auto& v : variables) {
    const Tensor& t = v.unwatched_value();
    SPOOL_CHECK(t.dtype() == layout.dtype && (t.dtype() == DType::kF32 || t.dtype() == DType::kF64), InvalidArgument,
                "strategy: the variables of one apply_gradients must all be f32 or all f64; ", quoted(v.name()), " is ",
                dtype_name(t.dtype()));
    if (t.storage().get() != shared || !t.is_contiguous()) shared = nullptr;
    lowest = std::min(lowest, t.offset());
  }
  if (shared != nullptr) {
    // Arena layout, when the variables do not overlap (a variable passed twice would).
    std::vector<std::size_t> order(variables.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return variables[a].unwatched_value().offset() < variables[b].unwatched_value().offset();
    });
    std::int64_t end = lowest;
    bool disjoint = true;
    for (std::size_t i : order) {
      const Tensor& t = variables[i].unwatched_value();
      disjoint = disjoint && t.offset() >= end;
      end = t.offset() + t.numel();
    }
    if (disjoint) {
      for (const auto& v : variables) layout.offsets.push_back(v.unwatched_value().offset() - lowest);
      layout.size = end - lowest;
      return layout;
    }
  }
  for (const auto& v : variables) {
    layout.offsets.push_back(layout.size);
    layout.size += v.unwatched_value().numel();
  }
  return layout;
}

template <typename T>
void add_slice(const std::vector<Tensor*>& buffers, std::int64_t begin, std::int64_t end) {
  T* out = buffers[0]->data<T>();
  for (std::size_t r = 1; r < buffers.size(); ++r) {
    const T* in = buffers[r]->data<T>();
    for (std::int64_t i = begin; i < end; ++i) out[i] += in[i];
  }
}

}  // namespace

class ReplicaSum::Cross final : public autodiff::CrossReplica {
 public:
  Cross(ReplicaSum& sum, int local_id) : sum_(sum), local_id_(local_id) {}
  void apply_once(std::span<const Tensor> grads, std::span<const autodiff::Variable> variables,
                  const Update& update) override {
    sum_.apply_once(local_id_, grads, variables, update);
  }
  int replica_id_in_sync_group() const override { return global_id; }
  int global_id = 0;

 private:
  ReplicaSum& sum_;
  int local_id_;
};

ReplicaSum::ReplicaSum(int replicas, ReplicaThreads* threads, WorkerGroup& workers)
    : replicas_(replicas),
      threads_(threads),
      workers_(workers),
      published_(static_cast<std::size_t>(replicas), nullptr),
      gradient_buffers_(static_cast<std::size_t>(replicas)),
      started_(static_cast<std::size_t>(replicas)) {
  for (int r = 0; r < replicas; ++r) cross_.push_back(std::make_unique<Cross>(*this, r));
}

ReplicaSum::~ReplicaSum() = default;

autodiff::CrossReplica& ReplicaSum::cross_replica(int local_id) { return *cross_[static_cast<std::size_t>(local_id)]; }

void ReplicaSum::set_global_ids(int first) {
  for (int r = 0; r < replicas_; ++r) cross_[static_cast<std::size_t>(r)]->global_id = first + r;
}

void ReplicaSum::slow_replica(int local_id, double factor) {
  SPOOL_CHECK(local_id >= 0 && local_id < replicas_ && factor >= 1, InvalidArgument, "slow_replica: replica ", local_id,
              " of ", replicas_, ", factor ", factor, " (>= 1)");
  slow_replica_ = local_id;
  slow_factor_ = factor;
}

void ReplicaSum::step_started(int local_id) {
  if (local_id == slow_replica_) started_[static_cast<std::size_t>(local_id)] = std::chrono::steady_clock::now();
}

void ReplicaSum::wait() {
  if (threads_ != nullptr) threads_->wait();
}

void ReplicaSum::sum_into_first(int local_id, Tensor& values) {
  SPOOL_CHECK(values.is_contiguous(), InternalError, "replica sum: a contiguous buffer is needed");
  published_[static_cast<std::size_t>(local_id)] = &values;
  wait();  // every replica's buffer is published
  if (replicas_ > 1) {
    const std::int64_t n = values.numel();
    for (int r = 0; r < replicas_; ++r) {
      const Tensor& other = *published_[static_cast<std::size_t>(r)];
      SPOOL_CHECK(other.numel() == n && other.dtype() == values.dtype(), InvalidArgument,
                  "all-reduce: replica ", r, " gives ", other.numel(), " ", dtype_name(other.dtype()), " values, replica ",
                  local_id, " ", n, " ", dtype_name(values.dtype()), "; every replica must reduce alike");
    }
    const std::int64_t begin = n * local_id / replicas_;
    const std::int64_t end = n * (local_id + 1) / replicas_;
    if (values.dtype() == DType::kF32) {
      add_slice<float>(published_, begin, end);
    } else {
      add_slice<double>(published_, begin, end);
    }
    wait();  // replica 0's buffer holds the replicas' sum
  }
  if (local_id == 0 && workers_.size() > 1) {
    Tensor& first = *published_[0];
    if (first.dtype() == DType::kF32) {
      workers_.all_reduce_sum(std::span<float>(first.data<float>(), static_cast<std::size_t>(first.numel())));
    } else {
      workers_.all_reduce_sum(std::span<double>(first.data<double>(), static_cast<std::size_t>(first.numel())));
    }
  }
}

void ReplicaSum::all_reduce(int local_id, Tensor& values) {
  SPOOL_CHECK(values.dtype() == DType::kF32 || values.dtype() == DType::kF64, InvalidArgument,
              "all-reduce: f32 or f64 values, got ", dtype_name(values.dtype()));
  sum_into_first(local_id, values);
  if (replicas_ == 1) return;
  wait();  // the workers' sum is in replica 0's buffer
  if (local_id != 0) std::memcpy(values.raw_data(), published_[0]->raw_data(), values.numel() * values.element_size());
  wait();  // nobody changes replica 0's buffer before every replica has copied it
}

void ReplicaSum::apply_once(int local_id, std::span<const Tensor> grads, std::span<const autodiff::Variable> variables,
                            const autodiff::CrossReplica::Update& update) {
  if (local_id == slow_replica_) {
    const std::chrono::duration<double> computed =
        std::chrono::steady_clock::now() - started_[static_cast<std::size_t>(local_id)];
    std::this_thread::sleep_for(computed * (slow_factor_ - 1));
  }
  const Layout layout = layout_of(variables);
  const auto counted = static_cast<std::int64_t>(variables.size());
  Tensor& buffer = gradient_buffers_[static_cast<std::size_t>(local_id)];
  if (!buffer.defined() || buffer.numel() != layout.size + counted || buffer.dtype() != layout.dtype) {
    buffer = Tensor::zeros(Shape{layout.size + counted}, layout.dtype);
  }
  // Gaps between variables stay zero; every gradient slot is written below.
  const std::size_t element = buffer.element_size();
  auto* base = static_cast<char*>(buffer.raw_data());
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const std::int64_t n = variables[i].unwatched_value().numel();
    char* slot = base + static_cast<std::size_t>(layout.offsets[i]) * element;
    const bool defined = grads[i].defined();
    if (defined) {
      SPOOL_CHECK(grads[i].dtype() == layout.dtype && grads[i].numel() == n, InvalidArgument,
                  "apply_gradients: the gradient of ", quoted(variables[i].name()), " is ", dtype_name(grads[i].dtype()),
                  " ", grads[i].shape().to_string(), ", the variable is ", dtype_name(layout.dtype), " ",
                  variables[i].shape().to_string());
      const Tensor g = grads[i].contiguous();
      std::memcpy(slot, g.raw_data(), static_cast<std::size_t>(n) * element);
    } else {
      std::memset(slot, 0, static_cast<std::size_t>(n) * element);
    }
    const std::int64_t count_at = layout.size + static_cast<std::int64_t>(i);
    if (layout.dtype == DType::kF32) {
      buffer.data<float>()[count_at] = defined ? 1.0f : 0.0f;
    } else {
      buffer.data<double>()[count_at] = defined ? 1.0 : 0.0;
    }
  }
  sum_into_first(local_id, buffer);
  if (local_id == 0) {
    const Tensor& summed = *published_[0];
    summed_views_.clear();
    for (std::size_t i = 0; i < variables.size(); ++i) {
      const std::int64_t count_at = layout.size + static_cast<std::int64_t>(i);
      const double had = layout.dtype == DType::kF32 ? summed.data<float>()[count_at] : summed.data<double>()[count_at];
      if (had == 0) {
        summed_views_.emplace_back();
        continue;
      }
      const std::int64_t n = variables[i].unwatched_value().numel();
      summed_views_.push_back(
          summed.slice(0, layout.offsets[i], layout.offsets[i] + n).reshape(variables[i].shape().dims()));
    }
  }
  wait();  // the views of the sum are ready
  // Every replica updates its share; update's own syncs order the shares, and its
  // last one leaves the variables whole for every replica.
  update(summed_views_, local_id, replicas_, [this] { wait(); });
}

}  // namespace spool::distribute::detail
