// Internal: a traced function's plan: its nodes in execution order, the buffers they write, and
// where those buffers live. Made by a trace (trace.cc), run by replay().
//
// Buffers: every allocation a node makes while traced is a planned buffer. After the
// trace, each buffer's live range runs from the node that allocates it to the last
// node that touches it (as an argument, or as a tensor a backward closure captured from
// its op); buffers whose ranges do not overlap share memory, laid out once in one
// arena. A replay hands each allocation its planned buffer, so it allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "spool/autodiff/graph/trace.h"
#include "spool/tensor/storage.h"
#include "spool/tensor/tensor.h"

namespace spool::graph::detail {

struct PlanBuffer {
  std::shared_ptr<Storage> storage;
  std::size_t bytes = 0;
  std::int32_t node = 0;      // the node that allocates it
  std::int32_t last_use = 0;  // the last node that touches it
  std::size_t offset = 0;     // in the arena
  bool pinned = false;        // a result of the function: kept out of the arena
};

struct PlanNode {
  std::string name;
  std::unique_ptr<NodeFn> fn;
  std::vector<std::shared_ptr<Storage>> touched;  // besides its own buffers
  std::size_t buffers_begin = 0, buffers_end = 0;  // its allocations, in order
  std::string result;                              // "f32[32,128]" when it has one
  std::vector<char> decisions;                     // whether a tape recorded, as its ops asked
  bool planned = true;                             // false: its allocations are the allocator's
  std::string fused;                               // the kernels it runs as one, if any
};

class Plan {
 public:
  std::string name;
  std::vector<PlanNode> nodes;
  std::vector<PlanBuffer> buffers;
  std::vector<Tensor> inputs;   // the function's arguments are copied here
  std::vector<Tensor> outputs;  // what the function returns (copies are returned)
  std::vector<std::shared_ptr<Storage>> constants;
  std::size_t arena_bytes = 0;

  // Computes live ranges and moves every buffer into the arena (after the trace).
  void allocate_arena();
  // Runs every node once; a node's allocation gets its planned buffer, and one that
  // the trace did not make throws InternalError naming the node.
  void replay();

  // The plan as text: nodes with their buffers, then the arena.
  std::string describe() const;
  // The plan as a Graphviz digraph: nodes, and an edge where a node touches a buffer
  // an earlier node wrote.
  std::string dot() const;

 private:
  std::shared_ptr<std::byte[]> arena_;
  std::string buffer_name(const Storage* s) const;
};

}  // namespace spool::graph::detail
