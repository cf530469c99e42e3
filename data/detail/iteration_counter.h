// Internal: which iteration of a dataset an iterator is, for the stages whose order
// depends on it (shuffle, and the shuffling list sources) — tf.data's per-dataset seed
// generator, which makes every new iterator of a shuffled dataset reshuffle.
//
//   // in the node (immutable otherwise): the one piece of state its iterators share
//   const std::unique_ptr<IterationCounter> iterations_ = std::make_unique<IterationCounter>();
//   IterationCounter* iteration_counter() const override { return iterations_.get(); }
//   // in its iterator
//   iteration_ = node.iterations_->take(*context.pipeline);      // 0 in the first iterator
//   Generator gen(iteration_seed(seed, iteration_), context.epoch);
//   IterationCounter::save(writer, iteration_);                 // ... and on restore:
//   iteration_ = node.iterations_->restore(reader, *context.pipeline);
//
// The node owns one counter, shared by every iterator of the node and so of every
// Dataset built on it; a node built anew starts again at 0, so two datasets built alike
// give the same sequence of orders. Each pipeline (one Iterator) takes one number per
// counting stage of its graph when it is made (take_iterations), so the k-th iterator
// made of a dataset uses iteration k, also when several are alive at once, and keeps it
// for every pass a repeat starts. A pipeline made with a pinned iteration
// (Dataset::make_iterator_at) uses that number and takes none. Saving an iterator
// writes its numbers (save_iterations; each stage writes its own too, which covers the
// stages an interleave builds while iterating). A restored iterator uses the saved
// numbers and takes none, and each counter moves past them (never back), so the
// iterator made after resuming a saved run in a new process gets the number the saved
// run's next iterator would have had.
// Thread-safety: all members may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

class IterationCounter {
 public:
  // The iteration `pipeline` uses for this stage.
  std::uint64_t take(PipelineContext& pipeline);
  static void save(StateWriter& writer, std::uint64_t iteration) { writer.write_u64(iteration); }
  // Reads a saved iteration; `pipeline` uses it from now on.
  std::uint64_t restore(StateReader& reader, PipelineContext& pipeline);

 private:
  struct PipelineSlot {
    std::atomic<std::uint64_t> iteration{0};
  };
  // This stage's number in `pipeline`, made on first use (with `restored` if given).
  std::shared_ptr<PipelineSlot> slot(PipelineContext& pipeline, std::optional<std::uint64_t> restored);

  const std::uint64_t key_ = PipelineContext::new_shared_state_key();
  std::atomic<std::uint64_t> next_{0};
};

// For Iterator: the numbers of the counting stages of root's graph (each stage once,
// in a fixed order). A graph without such stages saves nothing.
// Each walks the pipeline's graph as it runs (its RewritePlan).
void take_iterations(PipelineContext& pipeline);
void save_iterations(PipelineContext& pipeline, StateWriter& writer);
void restore_iterations(PipelineContext& pipeline, StateReader& reader);

// The seed a stage uses in `iteration`: `seed` itself in iteration 0, so a dataset's
// first iterator gives the order it gave before iterations were counted; after that
// one derived from (seed, iteration).
std::uint64_t iteration_seed(std::uint64_t seed, std::uint64_t iteration);

}  // namespace spool::data::detail
