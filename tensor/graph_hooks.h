// The two places where graph mode (autodiff/graph) must see what tensor/ does on this
// thread while it traces or replays a function:
// - every Storage::allocate, so that a trace can plan the buffers and a replay can
//   hand the planned ones back instead of allocating;
// - every host read of a tensor's values (item(), item_as_double(), to_vector(),
//   clone(), cast()), because host code runs once, at the trace, and never at a replay:
//   a value read there is frozen into the plan, so the tracer refuses it.
// With no hook installed each costs one thread-local load.
#pragma once

#include <cstddef>
#include <memory>

namespace spool {

class Storage;

namespace detail {

class GraphHooks {
 public:
  // The storage for a Storage::allocate(bytes) on this thread.
  virtual std::shared_ptr<Storage> allocate(std::size_t bytes) = 0;
  // Code on this thread is about to read `storage`'s values on the host; `what` names
  // the reading method.
  virtual void host_read(const Storage& storage, const char* what) = 0;

 protected:
  ~GraphHooks() = default;
};

// The hooks installed on this thread (nullptr: none).
GraphHooks* graph_hooks();
// Installs `hooks` on this thread (nullptr removes them) and returns the previous ones.
GraphHooks* set_graph_hooks(GraphHooks* hooks);
// Storage::allocate without the hooks: what the hooks themselves allocate with.
std::shared_ptr<Storage> allocate_unhooked(std::size_t bytes);
// Tells the hooks of this thread, if any, about a host read.
void note_host_read(const Storage* storage, const char* what);

}  // namespace detail
}  // namespace spool
