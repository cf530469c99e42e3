// CrossReplica: how an optimizer's apply_gradients behaves when it runs inside one
// replica of a distribution strategy (TensorFlow's merge_call under
// ReplicaContext): every replica calls apply_gradients with the gradients of its own
// part of the batch, and the variables, shared by all replicas, must take one step
// with the sum of them all.
//
// A strategy (distribute/strategy.h) installs its CrossReplica on each replica thread
// for the length of a step (CrossReplicaScope); Optimizer::apply_gradients then hands
// its gradients to apply_once, which sums them and calls the optimizer's update back
// on every replica for its share of the elements. Outside a
// replica, current_cross_replica() is null and nothing changes.
//
// It lives in autodiff/ because the optimizers call it; distribute/ implements it.
// Thread-safety: the pointer is thread-local; apply_once is called from every replica
// thread at once, which is its whole point.
#pragma once

#include <functional>
#include <span>

#include "spool/autodiff/variable.h"
#include "spool/tensor/tensor.h"

namespace spool::autodiff {

class CrossReplica {
 public:
  virtual ~CrossReplica() = default;
  // update(summed, part, parts, sync): called on every replica (part = its local
  // index, parts = the local replicas) with the same gradients summed over all replicas
  // and workers; sync() is a barrier of those calls. The optimizer updates its share
  // of the elements in it (one step in all), so the replicas share the update too.
  using Update = std::function<void(std::span<const Tensor> summed, int part, int parts,
                                    const std::function<void()>& sync)>;
  // Called by every replica with its gradients (grads[i] for variables[i]; the same
  // variables in the same order on each replica; an undefined gradient counts as
  // zeros unless it is undefined on every replica). Returns once `update` has run on
  // every replica and the variables are safe to read again.
  virtual void apply_once(std::span<const Tensor> grads, std::span<const Variable> variables,
                          const Update& update) = 0;
  // The replica's number among all replicas of the job, from 0: layers whose training
  // call writes state (BatchNormalization's moving statistics) let replica 0 write it.
  virtual int replica_id_in_sync_group() const = 0;
};

// The CrossReplica of the replica this thread computes for, or null.
CrossReplica* current_cross_replica();

// Installs `cross_replica` on this thread until destroyed (the previous one comes back).
class CrossReplicaScope {
 public:
  explicit CrossReplicaScope(CrossReplica* cross_replica);
  ~CrossReplicaScope();
  CrossReplicaScope(const CrossReplicaScope&) = delete;
  CrossReplicaScope& operator=(const CrossReplicaScope&) = delete;

 private:
  CrossReplica* previous_;
};

}  // namespace spool::autodiff
