#include "spool/autodiff/cross_replica.h"

namespace spool::autodiff {
namespace {
thread_local CrossReplica* t_cross_replica = nullptr;
}  // namespace

CrossReplica* current_cross_replica() { return t_cross_replica; }

CrossReplicaScope::CrossReplicaScope(CrossReplica* cross_replica) : previous_(t_cross_replica) {
  t_cross_replica = cross_replica;
}

CrossReplicaScope::~CrossReplicaScope() { t_cross_replica = previous_; }

}  // namespace spool::autodiff
