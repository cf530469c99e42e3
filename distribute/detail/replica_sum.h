// ReplicaSum: the sums a strategy's replicas compute together — the gradients of a
// step (as the autodiff::CrossReplica that apply_gradients calls) and
// ReplicaContext::all_reduce's tensors.
//
// Every sum runs the same way: each replica publishes a flat buffer; after a barrier
// replica r adds slice r of every buffer, in replica order, into replica 0's (the
// same order whatever the timing, so bitwise reproducible, and the adding is shared);
// after a second barrier replica 0 runs the workers' all-reduce on it. Gradients are
// packed laid out like the variables' arena (same gaps), so the summed buffer's views
// let the optimizer update runs of variables in one loop, every replica its share of
// the elements (the update is a few percent of a CNN step: bench_training
// replicas/cnn); one extra element per
// variable counts the replicas that had a gradient for it, so a gradient undefined on
// every replica stays undefined (and the optimizer reports it).
// Thread-safety: each method is called by every replica of the strategy at once,
// each with its own local id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "spool/autodiff/cross_replica.h"
#include "spool/distribute/detail/replica_threads.h"
#include "spool/distribute/worker_group.h"
#include "spool/tensor/tensor.h"

namespace spool::distribute::detail {

class ReplicaSum {
 public:
  // threads: null for one local replica.
  ReplicaSum(int replicas, ReplicaThreads* threads, WorkerGroup& workers);
  ~ReplicaSum();

  // The replica's own CrossReplica, installed on its thread for a step.
  autodiff::CrossReplica& cross_replica(int local_id);
  // Sets the global replica id each local replica reports (worker rank × replicas + id).
  void set_global_ids(int first);
  // Strategy::slow_replica; step_started is called by each replica as its step begins.
  void slow_replica(int local_id, double factor);
  void step_started(int local_id);

  // In place on every replica: the element-wise sum over all replicas and workers.
  // `values` has the same size and dtype (f32 or f64) on every replica.
  void all_reduce(int local_id, Tensor& values);

  // CrossReplica::apply_once for replica local_id.
  void apply_once(int local_id, std::span<const Tensor> grads, std::span<const autodiff::Variable> variables,
                  const autodiff::CrossReplica::Update& update);

 private:
  class Cross;
  void wait();
  // After it: replica 0's buffer holds the sum over all replicas and workers.
  void sum_into_first(int local_id, Tensor& values);

  const int replicas_;
  ReplicaThreads* threads_;
  WorkerGroup& workers_;
  std::vector<Tensor*> published_;        // each replica's buffer for the current sum
  std::vector<Tensor> gradient_buffers_;  // replica r's packed gradients, kept between steps
  std::vector<Tensor> summed_views_;      // replica 0's views of the sum, one per variable
  std::vector<std::unique_ptr<Cross>> cross_;
  int slow_replica_ = -1;
  double slow_factor_ = 1;
  std::vector<std::chrono::steady_clock::time_point> started_;
};

}  // namespace spool::distribute::detail
