// Internal: how the tape's backward sweep joins a trace (autodiff/tape.cc).
#pragma once

#include <memory>
#include <vector>

#include "spool/autodiff/record.h"

namespace spool::graph::detail {

// Runs `fn` for gradient `dy` into `dx` now, and records it as a node that runs it again
// at each replay. The node touches dy and whatever the node that made `fn` touched
// and allocated: a backward closure captures its op's inputs, output and what the op
// computed for it (a mask, an argmax), so those buffers live until it has run.
void record_backward(const std::shared_ptr<autodiff::detail::BackwardFn>& fn, const Tensor& dy, std::vector<Tensor>& dx,
                     const std::vector<char>& needs);

// Whether a tape recorded, as an op asks (Recording, is_recording): while a node is
// traced each answer is noted; while it replays, replayed_decision() gives the trace's
// answers back in order (0 or 1), and is -1 when no node replays.
void note_decision(bool recording);
int replayed_decision();

// Called by Recording when it makes a backward closure, so that the closure can be
// traced back to the node being recorded.
void closure_made(const void* closure);

}  // namespace spool::graph::detail
