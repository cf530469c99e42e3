#include "spool/distribute/distributed_dataset.h"

#include <array>
#include <algorithm>
#include <cstring>
#include <iostream>

#include "spool/data/detail/stack.h"
#include "spool/distribute/strategy.h"
#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

// `part` with zero rows appended up to `rows` (every component with a batch axis).
data::Element padded(const data::Element& part, std::int64_t rows) {
  std::vector<Tensor> out;
  for (const Tensor& t : part) {
    if (t.rank() == 0 || t.dim(0) >= rows) {
      out.push_back(t);
      continue;
    }
    std::vector<std::int64_t> dims = t.shape().dims();
    dims[0] = rows;
    Tensor full = Tensor::zeros(Shape(dims), t.dtype());
    const Tensor real = t.contiguous();
    std::memcpy(full.raw_data(), real.raw_data(), static_cast<std::size_t>(real.numel()) * real.element_size());
    out.push_back(full);
  }
  return data::Element(std::move(out), part.shared_names());
}

std::int64_t rows_of(const data::Element& e) { return e.empty() || e[0].rank() == 0 ? 0 : e[0].dim(0); }

}  // namespace

std::int64_t InputContext::per_replica_batch_size(std::int64_t global_batch_size) const {
  SPOOL_CHECK(global_batch_size % num_replicas_in_sync == 0, InvalidArgument, "per_replica_batch_size: the global batch ",
              global_batch_size, " does not divide among ", num_replicas_in_sync, " replicas");
  return global_batch_size / num_replicas_in_sync;
}

// ---- Strategy's input methods ----

InputContext Strategy::input_context() const {
  return InputContext{.num_input_pipelines = workers().size(),
                      .input_pipeline_id = workers().rank(),
                      .num_replicas_in_sync = num_replicas_in_sync(),
                      .replicas_in_pipeline = local_replicas()};
}

DistributedDataset Strategy::distribute(const data::Dataset& ds, const DistributeOptions& options) {
  const int k = workers().size();
  if (k == 1) return DistributedDataset(*this, ds, DistributedIterator::Mode::kSplit, options.tail(), "OFF: 1 worker");
  data::AutoShard shard = data::auto_shard(ds, k, workers().rank(), options.auto_shard());
  if (is_chief()) std::clog << "spool: distribute: " << shard.reason << "\n";
  if (shard.applied == data::AutoShardPolicy::kData) {
    // DATA as a split of each global batch: auto_shard's element-wise shard would deal
    // whole batches out; the same records, but not the rows one replica would see.
    return DistributedDataset(*this, ds, DistributedIterator::Mode::kSplit, options.tail(), shard.reason);
  }
  // FILE and OFF: worker w's steps are its rows [B·w/K, B·(w+1)/K) of a B-row global
  // batch, cut from its own stream by rebatch, as TensorFlow rebatches B into B/K. B is
  // the rows of ds's first batch, read here once (make_iterator_at: no shuffle counts
  // an iteration for it); every worker reads the same, so they agree without a message.
  std::optional<data::Element> first = ds.make_iterator_at(0).next();
  const std::int64_t b = first ? data::detail::batch_rows(*first, "distribute") : 0;
  const std::int64_t w = workers().rank();
  const std::int64_t share = std::max<std::int64_t>(1, b * (w + 1) / k - b * w / k);
  return DistributedDataset(*this, shard.dataset.rebatch(share), DistributedIterator::Mode::kOwn, options.tail(),
                            shard.reason);
}

DistributedDataset Strategy::distribute_from_function(const std::function<data::Dataset(const InputContext&)>& fn,
                                                      TailPolicy tail) {
  const int k = workers().size();
  return DistributedDataset(*this, fn(input_context()),
                            k == 1 ? DistributedIterator::Mode::kSplit : DistributedIterator::Mode::kOwn, tail,
                            "a pipeline per worker (" + std::to_string(k) + ")");
}

// ---- DistributedDataset ----

DistributedIterator DistributedDataset::make_iterator() const {
  return DistributedIterator(*strategy_, dataset_.make_iterator(), mode_, tail_);
}

DistributedIterator DistributedDataset::make_iterator(const data::IteratorState& state) const {
  return DistributedIterator(*strategy_, dataset_.make_iterator(state), mode_, tail_);
}

DistributedDataset::Cursor::Cursor(DistributedIterator it)
    : it_(std::make_shared<DistributedIterator>(std::move(it))), current_(it_->next()) {}

DistributedDataset::Cursor& DistributedDataset::Cursor::operator++() {
  current_ = it_->next();
  return *this;
}

// ---- DistributedIterator ----

DistributedIterator::DistributedIterator(Strategy& strategy, data::Iterator it, Mode mode, TailPolicy tail)
    : strategy_(&strategy), it_(std::move(it)), mode_(mode), tail_(tail) {}

std::optional<DistributedBatch> DistributedIterator::next() {
  if (ended_) return std::nullopt;
  std::optional<DistributedBatch> batch = mode_ == Mode::kSplit ? next_split() : next_own();
  if (!batch) {
    ended_ = true;
    return batch;
  }
  if (tail_ == TailPolicy::kPad) {
    // Every part padded to the full per-replica size (the first batch's rows / replicas).
    const std::int64_t per_replica = (full_rows_ + strategy_->num_replicas_in_sync() - 1) /
                                     strategy_->num_replicas_in_sync();
    for (std::size_t r = 0; r < batch->parts.size(); ++r) {
      const std::int64_t rows = rows_of(batch->parts[r]);
      if (rows >= per_replica) continue;
      Tensor weights = Tensor::zeros(Shape{per_replica}, DType::kF32);
      for (std::int64_t i = 0; i < rows; ++i) weights.data<float>()[i] = 1.0f;
      batch->parts[r] = padded(batch->parts[r], per_replica);
      batch->sample_weights[r] = weights;
    }
  }
  return batch;
}

std::optional<DistributedBatch> DistributedIterator::next_split() {
  // Every worker reads the same global batches: each decides alone, and alike.
  std::optional<data::Element> global = it_.next();
  if (!global) return std::nullopt;
  const std::int64_t rows = rows_of(*global);
  if (full_rows_ < 0) full_rows_ = rows;
  if (tail_ == TailPolicy::kDrop && rows < full_rows_) return std::nullopt;
  return strategy_->split(*global);
}

std::optional<DistributedBatch> DistributedIterator::next_own() {
  WorkerGroup& workers = strategy_->workers();
  // Each worker has its own stream: agree on whether anyone has rows, and how many.
  std::optional<data::Element> mine = it_.next();
  const std::int64_t rows = mine ? rows_of(*mine) : 0;
  // [workers with rows, total rows], summed over the workers.
  std::array<double, 2> agreed{mine ? 1.0 : 0.0, static_cast<double>(rows)};
  workers.all_reduce_sum(std::span<double>(agreed));
  const auto workers_with_data = static_cast<std::int64_t>(agreed[0]);
  const auto total_rows = static_cast<std::int64_t>(agreed[1]);
  if (workers_with_data == 0) return std::nullopt;
  if (full_rows_ < 0) full_rows_ = total_rows;
  if (tail_ == TailPolicy::kDrop && (total_rows < full_rows_ || workers_with_data < workers.size())) {
    return std::nullopt;
  }
  DistributedBatch batch;
  batch.global_examples = total_rows;
  const int local = strategy_->local_replicas();
  for (int r = 0; r < local; ++r) {
    if (mine) {
      batch.parts.push_back(data::detail::slice_rows(*mine, rows * r / local, rows * (r + 1) / local));
    } else {
      batch.parts.emplace_back();  // this worker ran dry: its replicas take part with no rows
    }
    batch.sample_weights.emplace_back();
  }
  return batch;
}

}  // namespace spool::distribute
