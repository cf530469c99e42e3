// Internal: what a GradientTape holds, and the thread's stack of active tapes.
//
// A tape is a list of nodes in execution order — which is a topological order, so the
// backward sweep is one loop from the target's node down to the first, with no
// recursion and no sort. Tensors it tracks get dense ids; a node reads input ids from
// one flat vector. The map from identity to id holds a weak_ptr to each Storage, so
// the tape never keeps an activation alive (only backward closures do, for what they
// need) and a reused address is never mistaken for a tracked tensor.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "spool/autodiff/record.h"
#include "spool/autodiff/tape.h"

namespace spool::autodiff::detail {

struct TensorKeyHash {
  std::size_t operator()(const TensorKey& k) const {
    return static_cast<std::size_t>(k.layout ^ (reinterpret_cast<std::uintptr_t>(k.storage) * 0x9e3779b97f4a7c15ULL));
  }
};

class TapeImpl {
 public:
  explicit TapeImpl(const TapeOptions& options) : options_(options) {}

  bool recording() const { return paused_ == 0 && !consumed_; }
  bool watches_variables() const { return options_.watch_accessed_variables(); }
  bool persistent() const { return options_.persistent(); }
  std::int64_t size() const { return static_cast<std::int64_t>(nodes_.size()); }

  // The id of a tracked tensor, or -1.
  std::int32_t find(const TensorKey& key) const;
  void watch(const Tensor& t);
  void add_node(const Tensor& output, std::span<const std::int32_t> input_ids, std::shared_ptr<BackwardFn> fn);

  // Throws when a non-persistent tape was used already; marks it used.
  void begin_gradient_call(const char* what);
  // One backward sweep from `seed` (the gradient of target). `release` frees each
  // node's closure as it is passed (the last sweep of a non-persistent tape).
  std::vector<Tensor> sweep(const Tensor& target, std::span<const Tensor> sources, const Tensor& seed,
                            UnconnectedGradients unconnected, bool release);
  // Drops every node and id (after the last sweep of a non-persistent tape).
  void clear();

  int paused_ = 0;  // > 0 while stop_recording() guards or a sweep run

 private:
  struct Tracked {
    std::weak_ptr<Storage> storage;
    std::int32_t producer = -1;  // node index, or -1 for a watched tensor
  };
  struct Node {
    std::int32_t output = 0;
    std::uint32_t inputs_begin = 0;
    std::uint32_t inputs_count = 0;
    std::shared_ptr<BackwardFn> fn;
  };
  std::int32_t track(const Tensor& t, std::int32_t producer);

  TapeOptions options_;
  bool consumed_ = false;
  std::unordered_map<TensorKey, std::int32_t, TensorKeyHash> ids_;
  std::vector<Tracked> tracked_;
  std::vector<Node> nodes_;
  std::vector<std::int32_t> node_inputs_;
};

// The tapes active on this thread, oldest first.
std::span<TapeImpl* const> active_tapes();
// Whether every tape of this thread is paused (custom_gradient's forward pass).
bool all_paused();

// Pauses every tape of this thread while it lives.
class PauseAllTapes {
 public:
  PauseAllTapes();
  ~PauseAllTapes();
  PauseAllTapes(const PauseAllTapes&) = delete;
  PauseAllTapes& operator=(const PauseAllTapes&) = delete;
};

// Tells the active tapes that `v` was read (they watch it when so configured).
void variable_read(const Tensor& value);

}  // namespace spool::autodiff::detail
