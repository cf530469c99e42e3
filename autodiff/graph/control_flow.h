// Control flow on tensor values that a traced function (graph/function.h) decides
// again at every replay: a data-dependent `if` or loop written in C++ runs once, at the
// trace, so the trace refuses host reads and these take their place.
//
//   // y = x / 2 while sum(x) > 1, else x + 1: operands are passed, not captured.
//   std::vector<Tensor> y = spool::cond(greater(sum(x), 1.0), {x},
//       [](std::span<const Tensor> in) { return std::vector<Tensor>{div(in[0], 2.0)}; },
//       [](std::span<const Tensor> in) { return std::vector<Tensor>{add(in[0], 1.0)}; });
//   std::vector<Tensor> halved = spool::while_loop(
//       [](std::span<const Tensor> v) { return greater(sum(v[0]), 1.0); },
//       [](std::span<const Tensor> v) { return std::vector<Tensor>{div(v[0], 2.0)}; }, {x});
//
// Eagerly they are the plain `if` and `while`. Traced, each is one node of the plan
// whose branches (and the loop's condition and body) are plans of their own, traced
// the first time they run (a branch never taken is never traced, so it has no side
// effect at the trace) and replayed after; the node copies the taken branch's results
// (or the body's, into the loop variables) into its own outputs.
// - A branch or body sees only its operands: a tensor it captures from the enclosing
//   function instead may have been overwritten by the time it runs (the planner reuses
//   buffers by liveness), so capturing one is refused (InvalidArgument) when traced.
// - Both branches return as many tensors, of the same dtypes and shapes; a body returns
//   its loop variables' dtypes and shapes (InvalidArgument naming the result).
// - A predicate is a tensor of one element; nonzero is true.
// - Gradients through them are not recorded in a traced function: a tape recording
//   there is refused (Unimplemented). Compute the branch outside the tape (a metric, a
//   schedule, a guard on bad values), or use where() for element-wise choices.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "spool/tensor/tensor.h"

namespace spool {

using Branch = std::function<std::vector<Tensor>(std::span<const Tensor>)>;
using LoopCondition = std::function<Tensor(std::span<const Tensor>)>;

std::vector<Tensor> cond(const Tensor& pred, const std::vector<Tensor>& operands, const Branch& true_fn,
                         const Branch& false_fn);

std::vector<Tensor> while_loop(const LoopCondition& condition, const Branch& body, const std::vector<Tensor>& loop_vars);

}  // namespace spool
