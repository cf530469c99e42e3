#include "spool/autodiff/graph/plan.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "spool/autodiff/graph/detail/plan_memory.h"
#include "spool/autodiff/graph/detail/tracer.h"
#include "spool/tensor/error.h"

namespace spool::graph::detail {
namespace {

std::size_t aligned(std::size_t bytes) {
  return std::max<std::size_t>(Storage::kAlignment, (bytes + Storage::kAlignment - 1) / Storage::kAlignment *
                                                        Storage::kAlignment);
}

// prefix + i (written out: GCC 12 warns falsely on "literal" + std::to_string at -O2).
std::string label(const char* prefix, std::size_t i) {
  std::ostringstream out;
  out << prefix << i;
  return out.str();
}

std::string kib(std::size_t bytes) {
  std::ostringstream out;
  if (bytes < 1024) out << bytes << " B";
  else if (bytes < 1024 * 1024) out << (bytes + 512) / 1024 << " KiB";
  else out << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

}  // namespace

void Plan::allocate_arena() {
  std::unordered_map<const Storage*, std::size_t> index;
  for (std::size_t b = 0; b < buffers.size(); ++b) {
    index.emplace(buffers[b].storage.get(), b);
    buffers[b].last_use = buffers[b].node;
  }
  for (std::size_t k = 0; k < nodes.size(); ++k)
    for (const auto& s : nodes[k].touched)
      if (auto it = index.find(s.get()); it != index.end())
        buffers[it->second].last_use = std::max(buffers[it->second].last_use, static_cast<std::int32_t>(k));
  for (const Tensor& out : outputs)
    if (auto it = out.defined() ? index.find(out.storage().get()) : index.end(); it != index.end()) {
      buffers[it->second].pinned = true;
      buffers[it->second].last_use = std::numeric_limits<std::int32_t>::max();
    }

  // Greedy by allocation order: a buffer takes the smallest free block that fits (a
  // block is free once the last user of what it held has run), else a new block.
  struct Block {
    std::size_t offset, size;
    std::int32_t busy_until;
  };
  std::vector<Block> blocks;
  arena_bytes = 0;
  for (PlanBuffer& b : buffers) {
    const std::size_t size = aligned(b.bytes);
    Block* best = nullptr;
    for (Block& block : blocks)
      if (block.busy_until < b.node && block.size >= size && (best == nullptr || block.size < best->size))
        best = &block;
    if (best == nullptr) {
      blocks.push_back(Block{arena_bytes, size, b.last_use});
      arena_bytes += size;
      best = &blocks.back();
    }
    best->busy_until = b.last_use;
    b.offset = best->offset;
  }
  // The trace's own blocks go first, so that the arena can take their place in the
  // heap (the malloc settings of a training process keep freed memory resident). The
  // results keep what the trace computed (a branch's first run returns them).
  std::vector<std::vector<std::byte>> kept;
  for (PlanBuffer& b : buffers) {
    if (b.pinned) kept.emplace_back(b.storage->data(), b.storage->data() + b.bytes);
    b.storage->rebind(nullptr, [](void*) {});
  }
  arena_ = allocate_arena_bytes(arena_bytes);
  std::size_t next_kept = 0;
  for (PlanBuffer& b : buffers) {
    b.storage->rebind(arena_.get() + b.offset, [arena = arena_](void*) {});  // the arena outlives its users
    if (b.pinned && b.bytes > 0) std::memcpy(b.storage->data(), kept[next_kept].data(), b.bytes);
    if (b.pinned) ++next_kept;
  }
}

void Plan::replay() {
  Replayer replayer(*this);
  replayer.run();
}

std::string Plan::buffer_name(const Storage* s) const {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].storage().get() == s) return label("in", i);
  for (std::size_t b = 0; b < buffers.size(); ++b)
    if (buffers[b].storage.get() == s) return label("%", b);
  for (std::size_t c = 0; c < constants.size(); ++c)
    if (constants[c].get() == s) return label("const", c);
  return "state";  // a variable, an optimizer slot, or a tensor made before the function
}

std::string Plan::describe() const {
  std::size_t total = 0;
  for (const PlanBuffer& b : buffers) total += aligned(b.bytes);
  std::ostringstream out;
  out << "function " << name << ": " << nodes.size() << " nodes, " << buffers.size() << " buffers (" << kib(total)
      << ") in a " << kib(arena_bytes) << " arena\n";
  for (std::size_t i = 0; i < inputs.size(); ++i)
    out << "  in" << i << ": " << dtype_name(inputs[i].dtype()) << inputs[i].shape().to_string() << "\n";
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const PlanNode& n = nodes[k];
    out << "  #" << k << " " << n.name;
    if (!n.result.empty()) out << " -> " << n.result;
    if (!n.fused.empty()) out << " [fused " << n.fused << "]";
    std::set<std::string> reads;
    for (const auto& s : n.touched) reads.insert(buffer_name(s.get()));
    if (!reads.empty()) {
      out << "  reads";
      for (const std::string& r : reads) out << " " << r;
    }
    if (n.buffers_end > n.buffers_begin) {
      out << "  writes";
      for (std::size_t b = n.buffers_begin; b < n.buffers_end; ++b)
        out << " %" << b << "(" << kib(buffers[b].bytes) << " @" << buffers[b].offset << ")";
    }
    out << "\n";
  }
  out << "  returns";
  for (const Tensor& t : outputs)
    out << " " << (t.defined() ? buffer_name(t.storage().get()) + ":" + std::string(dtype_name(t.dtype())) +
                                     t.shape().to_string()
                               : std::string("undefined"));
  out << "\n";
  return out.str();
}

std::string Plan::dot() const {
  std::unordered_map<const Storage*, std::size_t> producer;
  for (std::size_t k = 0; k < nodes.size(); ++k)
    for (std::size_t b = nodes[k].buffers_begin; b < nodes[k].buffers_end; ++b) producer[buffers[b].storage.get()] = k;
  std::ostringstream out;
  out << "digraph \"" << name << "\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\"];\n";
  for (std::size_t i = 0; i < inputs.size(); ++i)
    out << "  in" << i << " [shape=ellipse, label=\"in" << i << "\\n" << dtype_name(inputs[i].dtype())
        << inputs[i].shape().to_string() << "\"];\n";
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    out << "  n" << k << " [label=\"#" << k << " " << nodes[k].name;
    if (!nodes[k].result.empty()) out << "\\n" << nodes[k].result;
    if (!nodes[k].fused.empty()) out << "\\n[" << nodes[k].fused << "]";
    out << "\"" << (nodes[k].fused.empty() ? "" : ", style=filled, fillcolor=\"#e8f0ff\"") << "];\n";
  }
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    std::set<std::string> from;
    for (const auto& s : nodes[k].touched) {
      if (auto it = producer.find(s.get()); it != producer.end() && it->second < k)
        from.insert(label("n", it->second));
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].storage() == s) from.insert(label("in", i));
    }
    for (const std::string& f : from) out << "  " << f << " -> n" << k << ";\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace spool::graph::detail
