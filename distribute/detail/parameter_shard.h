// ParameterShard: what one parameter server holds — its range of the model's flat
// parameter vector, the optimizer that updates it, the version of its weights and the
// staleness of every update it applied. FlatLayout: how a model's trainable
// variables map onto that flat vector, and the cut into one range per server.
//
// Sharding by size (TensorFlow's variable_partitioner, taken to its end): the
// trainable variables, concatenated in the model's order, are cut into `servers`
// equal contiguous ranges, so every server holds the same number of elements and a
// large variable may span two servers. The optimizers' updates are element-wise, so
// the cut changes no number (the one-worker run is bitwise the one-replica run:
// parameter_server_test); clipnorm and global_clipnorm, whose norms would span
// servers, are refused.
// The update rule is here once, for servers in memory and for server ranks alike.
// Thread-safety: none; the owner serialises apply and reads (the staleness gate).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spool/autodiff/optim/optimizer.h"
#include "spool/autodiff/variable.h"
#include "spool/distribute/staleness_gate.h"

namespace spool::distribute::detail {

struct FlatLayout {
  std::vector<autodiff::Variable> variables;  // the model's trainable ones
  std::vector<std::int64_t> offsets;          // of each in the flat vector
  std::int64_t size = 0;

  // f32 trainable variables only (InvalidArgument naming one that is not, or a
  // non-trainable variable: servers hold no BatchNormalization statistics).
  static FlatLayout of(std::span<const autodiff::Variable> all_variables);
  // [begin, end) of server s of n.
  std::int64_t shard_begin(int shard, int shards) const { return size * shard / shards; }
  std::int64_t shard_end(int shard, int shards) const { return size * (shard + 1) / shards; }
  void pack_values(std::span<float> out) const;
  void unpack_values(std::span<const float> in) const;
  // grads[i] belongs to variables[i]; an undefined one packs as zeros.
  void pack(std::span<const Tensor> grads, std::span<float> out) const;
};

using OptimizerFactory = std::function<std::unique_ptr<autodiff::Optimizer>()>;

class ParameterShard {
 public:
  // The shard's initial weights; `scale_learning_rate`: lr / (1 + staleness).
  ParameterShard(int index, std::span<const float> initial, const OptimizerFactory& make_optimizer,
                 bool scale_learning_rate);

  int index() const { return index_; }
  std::int64_t size() const { return size_; }
  std::int64_t version() const { return version_; }
  std::span<const float> weights() const;
  // One update with the gradient of weights read at `read_version`; returns its
  // staleness (version() - read_version), which the histogram counts.
  std::int64_t apply(std::span<const float> gradient, std::int64_t read_version);
  const StalenessHistogram& histogram() const { return histogram_; }

  // The optimizer's state: each slot as one flat tensor named "<slot name>" (the part
  // of Optimizer::state() names after the kind) plus the iterations count.
  autodiff::Optimizer& optimizer() { return *optimizer_; }
  const autodiff::Variable& variable() const { return weights_; }
  void set_weights(std::span<const float> values);
  void set_version(std::int64_t version) { version_ = version; }

 private:
  int index_;
  std::int64_t size_;
  bool scale_learning_rate_;
  autodiff::Variable weights_;
  std::unique_ptr<autodiff::Optimizer> optimizer_;
  std::int64_t version_ = 0;
  StalenessHistogram histogram_;
};

// The servers' optimizer state as the model's: Optimizer::state() names per variable
// ("optimizer/adam/m/dense/kernel"), so a checkpoint of a parameter-server run
// restores into any strategy — and back: split_optimizer_state gives each shard its
// part of such a state.
// Shard s's state is shard_states[s] (its Optimizer::state(), its variable named
// shard_variable_name(s)).
std::string shard_variable_name(int shard);
std::vector<NamedTensor> gather_optimizer_state(const FlatLayout& layout,
                                                const std::vector<std::vector<NamedTensor>>& shard_states);
// Shard `shard` of `shards`'s part of a model's optimizer state, to load_state into
// its optimizer (InvalidArgument naming a missing or misshapen tensor).
std::vector<NamedTensor> split_optimizer_state(const FlatLayout& layout, const std::vector<NamedTensor>& state,
                                               int shard, int shards);

}  // namespace spool::distribute::detail
