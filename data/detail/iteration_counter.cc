#include "spool/data/detail/iteration_counter.h"

#include <unordered_set>
#include <vector>

#include "spool/data/detail/rewrite_plan.h"
#include "spool/tensor/error.h"
#include "spool/tensor/random.h"

namespace spool::data::detail {

std::shared_ptr<IterationCounter::PipelineSlot> IterationCounter::slot(PipelineContext& pipeline,
                                                                      std::optional<std::uint64_t> restored) {
  // Made under the pipeline's lock: iterators of this stage on several threads of one
  // pipeline (a prefetch, an interleave) share one number. A restored pipeline takes
  // none.
  return std::static_pointer_cast<PipelineSlot>(pipeline.shared_state(key_, [&] {
    auto made = std::make_shared<PipelineSlot>();
    const std::optional<std::uint64_t>& pinned = pipeline.pinned_iteration();
    made->iteration = restored ? *restored : pinned ? *pinned : next_.fetch_add(1);
    return made;
  }));
}

std::uint64_t IterationCounter::take(PipelineContext& pipeline) {
  return slot(pipeline, std::nullopt)->iteration.load();
}

std::uint64_t IterationCounter::restore(StateReader& reader, PipelineContext& pipeline) {
  const std::uint64_t iteration = reader.read_u64();
  slot(pipeline, iteration)->iteration = iteration;
  std::uint64_t next = next_.load();
  while (next <= iteration && !next_.compare_exchange_weak(next, iteration + 1)) {
  }
  return iteration;
}

namespace {

// The counters of the stages of the graph that runs, depth first, each stage once.
std::vector<IterationCounter*> graph_counters(const RewritePlan& plan) {
  std::vector<IterationCounter*> counters;
  const DatasetNode* root = plan.root().get();
  std::unordered_set<const DatasetNode*> seen{root};
  std::vector<const DatasetNode*> stack{root};
  while (!stack.empty()) {
    const DatasetNode* node = stack.back();
    stack.pop_back();
    if (IterationCounter* counter = node->iteration_counter()) counters.push_back(counter);
    const std::vector<NodePtr> inputs = plan.inputs(*node);
    for (auto it = inputs.rbegin(); it != inputs.rend(); ++it) {
      if (seen.insert(it->get()).second) stack.push_back(it->get());
    }
  }
  return counters;
}

}  // namespace

void take_iterations(PipelineContext& pipeline) {
  for (IterationCounter* counter : graph_counters(pipeline.plan())) counter->take(pipeline);
}

void save_iterations(PipelineContext& pipeline, StateWriter& writer) {
  const std::vector<IterationCounter*> counters = graph_counters(pipeline.plan());
  if (counters.empty()) return;
  writer.begin("iterations");
  writer.write_i64(static_cast<std::int64_t>(counters.size()));
  for (IterationCounter* counter : counters) IterationCounter::save(writer, counter->take(pipeline));
}

void restore_iterations(PipelineContext& pipeline, StateReader& reader) {
  const std::vector<IterationCounter*> counters = graph_counters(pipeline.plan());
  if (counters.empty()) return;
  reader.begin("iterations");
  const std::int64_t n = reader.read_i64();
  SPOOL_CHECK(n == static_cast<std::int64_t>(counters.size()), InvalidArgument, "iterator state holds ", n,
              " iteration counts where this pipeline has ", counters.size(), " shuffling stages");
  for (IterationCounter* counter : counters) counter->restore(reader, pipeline);
}

std::uint64_t iteration_seed(std::uint64_t seed, std::uint64_t iteration) {
  return iteration == 0 ? seed : Generator(seed).fork(iteration).seed();
}

}  // namespace spool::data::detail
