// DistributedDataset: a Dataset's batches as each step's per-replica parts
// (TensorFlow's experimental_distribute_dataset and distribute_datasets_from_function).
//
//   for (const DistributedBatch& batch : strategy.distribute(ds.batch(64))) strategy.run(step, batch);
//
//   auto per_worker = [](const InputContext& ctx) {          // one pipeline per worker
//     return TFRecordDataset(files).shard(ctx.num_input_pipelines, ctx.input_pipeline_id)
//         .map(parse).batch(ctx.per_replica_batch_size(64) * ctx.replicas_in_pipeline);
//   };
//   for (const DistributedBatch& batch : strategy.distribute_from_function(per_worker)) ...
//
// distribute(ds, options): ds yields global batches of B rows; how the workers share
// it is tf.data's AutoShardPolicy (data/auto_shard.h), said once on worker 0's log
// (std::clog) and by sharding():
// - kAuto (default): FILE when the pipeline reads lists of at least as many files as
//   workers, else DATA.
// - FILE: worker k's pipeline reads only its files; its batches are cut again into
//   steps of its B/K rows (rows [B·k/K, B·(k+1)/K) of a B-row step, by
//   Dataset::rebatch; B is ds's first batch, read once by distribute), as TensorFlow
//   rebatches, so a step is still one global batch of B rows.
// - DATA: every worker reads ds whole and keeps its replicas' rows of each global batch
//   (Strategy::split): every record once per epoch across the cluster, with no
//   assumption about files, and the very rows one replica would see.
// - OFF: every worker reads ds whole and takes B/K-row steps from it, as FILE does.
// With one worker every policy is the split of each global batch among the replicas.
// distribute_from_function(fn): fn(InputContext) builds worker k's own pipeline, whose
// batches hold this worker's rows (per-replica batch × local replicas); they are split
// among the local replicas.
//
// The last, short batch (TailPolicy): every replica runs the same steps, so no
// collective waits for a replica that has stopped (the hang TensorFlow and Horovod
// users meet when workers' shards differ in length). Workers agree before each step
// (one small all-reduce, skipped under distribute(ds), whose workers read the same
// stream): the step runs while any worker has rows, and
// - kPartial (default): a replica with fewer rows, or none, takes part with what it
//   has; global_examples counts the real rows, so compute_average_loss gives the
//   short batch's mean;
// - kPad: every part is padded with zero rows to the full per-replica size, its
//   sample_weights 0 there (fixed shapes; pass the weights to the loss);
// - kDrop: the first step short of a full global batch ends the pass on every worker.
// Thread-safety: one thread iterates an iterator; the dataset may be iterated again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spool/data/auto_shard.h"
#include "spool/data/dataset.h"
#include "spool/data/iterator.h"
#include "spool/tensor/tensor.h"

namespace spool::distribute {

class Strategy;

// One step's input: each local replica's part of the global batch.
struct DistributedBatch {
  std::vector<data::Element> parts;
  // Per part: f32 [rows] of 1 for real examples and 0 for padding (TailPolicy::kPad),
  // or undefined when every row is real.
  std::vector<Tensor> sample_weights;
  // Real examples in this step over every replica and worker.
  std::int64_t global_examples = 0;
};

enum class TailPolicy { kPartial, kPad, kDrop };

class DistributeOptions {
 public:
  DistributeOptions& auto_shard(data::AutoShardPolicy p) {
    auto_shard_ = p;
    return *this;
  }
  DistributeOptions& tail(TailPolicy t) {
    tail_ = t;
    return *this;
  }
  data::AutoShardPolicy auto_shard() const { return auto_shard_; }
  TailPolicy tail() const { return tail_; }

 private:
  data::AutoShardPolicy auto_shard_ = data::AutoShardPolicy::kAuto;
  TailPolicy tail_ = TailPolicy::kPartial;
};

// What distribute_from_function tells each worker's pipeline (TF's InputContext).
struct InputContext {
  int num_input_pipelines = 1;  // workers
  int input_pipeline_id = 0;    // this worker's rank
  int num_replicas_in_sync = 1;
  int replicas_in_pipeline = 1;  // the local replicas this pipeline feeds
  // global / num_replicas_in_sync (InvalidArgument unless it divides, as in TF).
  std::int64_t per_replica_batch_size(std::int64_t global_batch_size) const;
};

class DistributedIterator {
 public:
  // How a worker's stream becomes its steps.
  enum class Mode {
    kSplit,  // every worker reads the global batches; each keeps its replicas' rows
    kOwn,    // each worker's batches are its steps (FILE and OFF rebatched, or a function's)
  };
  // The next step's parts, or nullopt once every worker's input has ended.
  std::optional<DistributedBatch> next();
  // The underlying iterator's position, for checkpoints.
  data::IteratorState save() { return it_.save(); }

 private:
  friend class DistributedDataset;
  DistributedIterator(Strategy& strategy, data::Iterator it, Mode mode, TailPolicy tail);
  std::optional<DistributedBatch> next_split();
  std::optional<DistributedBatch> next_own();

  Strategy* strategy_;
  data::Iterator it_;
  Mode mode_;
  TailPolicy tail_;
  std::int64_t full_rows_ = -1;  // rows of a full global batch (the first one's), for kPad and kDrop
  bool ended_ = false;
};

class DistributedDataset {
 public:
  DistributedIterator make_iterator() const;
  DistributedIterator make_iterator(const data::IteratorState& state) const;

  // Range-for support: for (const DistributedBatch& b : dds).
  class Cursor {
   public:
    Cursor() = default;
    const DistributedBatch& operator*() const { return *current_; }
    Cursor& operator++();
    bool operator==(const Cursor& other) const { return !current_ && !other.current_; }

   private:
    friend class DistributedDataset;
    explicit Cursor(DistributedIterator it);
    std::shared_ptr<DistributedIterator> it_;
    std::optional<DistributedBatch> current_;
  };
  Cursor begin() const { return Cursor(make_iterator()); }
  Cursor end() const { return {}; }

  // This worker's pipeline (after sharding).
  const data::Dataset& dataset() const { return dataset_; }
  // How the workers share the input, one line: "DATA: ...", "FILE: 5 files of ...".
  const std::string& sharding() const { return sharding_; }

 private:
  friend class Strategy;
  DistributedDataset(Strategy& strategy, data::Dataset dataset, DistributedIterator::Mode mode, TailPolicy tail,
                     std::string sharding)
      : strategy_(&strategy), dataset_(std::move(dataset)), mode_(mode), tail_(tail), sharding_(std::move(sharding)) {}
  Strategy* strategy_;
  data::Dataset dataset_;
  DistributedIterator::Mode mode_;
  TailPolicy tail_;
  std::string sharding_;
};

}  // namespace spool::distribute
