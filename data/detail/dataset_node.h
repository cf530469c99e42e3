// The machinery under Dataset and Iterator: how a stage is written.
//
// A stage is a DatasetNode (immutable description: its inputs, parameters,
// cardinality) whose make_iterator() returns an IteratorBase (the state of one
// pass). A new stage is one .h/.cc pair under data/ops/ that defines both and one
// Dataset factory method (defined in the stage's .cc). A synchronous stage looks like
//
//   class TakeIterator : public IteratorBase {
//     std::optional<Element> get_next() override {
//       if (taken_ == count_) return std::nullopt;
//       auto e = pull(*input_);            // the input's time counts as waiting
//       if (e) ++taken_;
//       return e;
//     }
//     void save(StateWriter& w) override { w.write_i64(taken_); input_->save_state(w); }
//     void restore(StateReader& r) override { taken_ = r.read_i64(); input_->restore_state(r); }
//   };
//
// Rules for stages:
// - get_next() returns nullopt at the end and keeps returning it; an exception is an
//   error of that element, after which the stage may be asked for the next one
//   (ignore_errors relies on this) unless the stage documents otherwise.
// - Background threads start lazily (first get_next), so restore() runs before them.
//   They wait only on condition variables woken by the stage's cancellation token, and
//   the destructor cancels and joins them.
// - save() of a stage with threads first waits for work in flight, then writes its
//   buffered elements, so the state needs no replay and no input rewinding.
// - Randomness comes from Generators keyed by (seed, context().epoch, element index);
//   a stage whose order also changes per iterator of the dataset keys it by the
//   iteration (iteration_counter.h) too.
// - A node's parameters never change. State its iterators share across pipelines (an
//   IterationCounter, an in-memory cache) is a thread-safe object the node owns through
//   a pointer, named and documented in the stage's header, never a `mutable` member.
// - with_inputs() is one line: the node's constructor called again with the new inputs
//   and the same parameters (a seed drawn at random included), so shared state starts
//   afresh. auto_shard.h rewrites pipelines with it.
// - rewritten() (the optimizations) makes new stages that read the rewritten inputs it
//   is given, never rebuilt ones: the stages below keep their shared state. A stage
//   makes its inputs' iterators with make_input_iterator(), which runs the rewritten
//   stage in place of the written one.
//
// Thread-safety: DatasetNodes are immutable apart from those explicit shared objects,
// and are shared by any number of iterators on any threads. One IteratorBase is driven
// by one consumer thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "spool/data/element.h"
#include "spool/data/iterator_state.h"
#include "spool/data/options.h"
#include "spool/data/stats.h"
#include "spool/data/detail/cancellation.h"
#include "spool/data/detail/memory_budget.h"
#include "spool/data/detail/stage_counters.h"

namespace spool::data::detail {

class DatasetNode;
class IterationCounter;
class RewritePlan;
using NodePtr = std::shared_ptr<const DatasetNode>;

// What one make_iterator() call shares among all the iterators it creates.
class PipelineContext {
 public:
  // The stages that run are those of `plan` (rewrite_plan.h), the root's rewritten graph.
  PipelineContext(Options options, std::shared_ptr<const RewritePlan> plan,
                  std::optional<std::uint64_t> pinned_iteration = {});
  const Options& options() const { return options_; }
  const RewritePlan& plan() const { return *plan_; }
  MemoryBudget& budget() { return budget_; }
  StatsRegistry& stats() { return stats_; }
  // Dataset::make_iterator_at's iteration (see iteration_counter.h).
  const std::optional<std::uint64_t>& pinned_iteration() const { return pinned_iteration_; }

  // State that the iterators of one stage share for the life of this pipeline (the
  // iteration a shuffle uses in every pass, a cache's bytes counted in this budget):
  // made by `make` on first use of `key`, under the registry's lock. A stage takes its
  // key from new_shared_state_key() when it is built, so a key never names two stages
  // (an address could, once a stage is freed and another allocated in its place).
  std::shared_ptr<void> shared_state(std::uint64_t key, const std::function<std::shared_ptr<void>()>& make);
  static std::uint64_t new_shared_state_key();

 private:
  const Options options_;
  const std::shared_ptr<const RewritePlan> plan_;  // owns the stages the rewrites made
  MemoryBudget budget_;
  StatsRegistry stats_;
  const std::optional<std::uint64_t> pinned_iteration_;
  std::mutex shared_mu_;
  // Declared after budget_, so states that hold budget bytes release them first.
  std::unordered_map<std::uint64_t, std::shared_ptr<void>> shared_;  // guarded by shared_mu_
};

struct IteratorContext {
  std::shared_ptr<PipelineContext> pipeline;
  std::shared_ptr<CancellationToken> cancel;  // of the nearest enclosing stage that owns threads
  std::uint64_t epoch = 0;                    // set by repeat for the passes it starts

  IteratorContext with_cancel(std::shared_ptr<CancellationToken> token) const {
    IteratorContext c = *this;
    c.cancel = std::move(token);
    return c;
  }
  IteratorContext with_epoch(std::uint64_t e) const {
    IteratorContext c = *this;
    c.epoch = e;
    return c;
  }
};

// Serialized records as views of their bytes, for stages that parse them
// (parse_example_batch): a record source fills them without a Tensor per record.
struct RecordViews {
  std::vector<std::string_view> records;
  // What keeps the views valid: the buffers they point into (a record source), or the
  // elements they view (any other input; a view that is not of a 1-D u8 contiguous
  // first component has a null data() and its element says what it was).
  std::vector<std::shared_ptr<Storage>> buffers;
  std::vector<Element> elements;
  void clear() {
    records.clear();
    buffers.clear();
    elements.clear();
  }
};

class IteratorBase {
 public:
  IteratorBase(const DatasetNode& node, const IteratorContext& context);
  IteratorBase(const IteratorBase&) = delete;
  IteratorBase& operator=(const IteratorBase&) = delete;
  virtual ~IteratorBase() = default;

  // get_next(), counted and timed into this stage's counters.
  std::optional<Element> next();
  // Up to n elements appended to `out` (fewer only at the end of the stream), counted
  // and timed as one call: a batching consumer pays its input's statistics once per
  // batch instead of once per element. Returns how many were appended. When an element
  // fails, the ones before it stay in `out` and the error propagates, as with next().
  std::size_t next_n(std::size_t n, std::vector<Element>& out);
  // next_n for a stage that parses serialized records: up to n records appended to
  // `out` as views, counted (bytes: the records' sizes) and timed the same way.
  std::size_t next_views(std::size_t n, RecordViews& out);

  // The stage's name as a state marker, then save()/restore().
  void save_state(StateWriter& writer);
  void restore_state(StateReader& reader);

  const std::string& stage_name() const { return name_; }

 protected:
  virtual std::optional<Element> get_next() = 0;
  // next_n's work; the default calls get_next() up to n times.
  virtual std::size_t get_next_n(std::size_t n, std::vector<Element>& out);
  // next_views's work; the default views the first component of get_next_n's elements.
  virtual std::size_t get_next_views(std::size_t n, RecordViews& out);
  virtual void save(StateWriter& writer) = 0;
  virtual void restore(StateReader& reader) = 0;

  // input.next(), its time counted as this stage's waiting rather than its own work.
  // Consumer thread only: background threads call input.next() directly.
  std::optional<Element> pull(IteratorBase& input);
  // input.next_n(n, out), accounted the same way.
  std::size_t pull_n(IteratorBase& input, std::size_t n, std::vector<Element>& out);
  // input.next_views(n, out), accounted the same way.
  std::size_t pull_views(IteratorBase& input, std::size_t n, RecordViews& out);
  // Time the consumer side spent blocked on a buffer, for stages with threads.
  void add_wait(std::chrono::steady_clock::duration d) { pulled_ns_ += to_ns(d); }
  // Work done on another thread (counted into self time).
  void add_background_self(std::chrono::steady_clock::duration d) {
    StageCounters::add_shared(counters_->background_self_ns, to_ns(d));
  }
  void add_skipped_error() { StageCounters::add_shared(counters_->skipped_errors, 1); }

  const IteratorContext& context() const { return context_; }
  const Options& options() const { return context_.pipeline->options(); }
  MemoryBudget& budget() const { return context_.pipeline->budget(); }
  StageCounters& counters() const { return *counters_; }

  static std::int64_t to_ns(std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }

 private:
  struct InputAccount;
  template <typename Call, typename Bytes>
  auto timed(Call&& call, Bytes&& bytes);
  template <typename Call, typename Bytes>
  std::size_t counted_run(Call&& call, Bytes&& bytes);

  IteratorContext context_;
  // The node's own name, not counters_->name: the registry keys counters by node
  // address, which a stage built at run time (interleave) may reuse after another
  // stage was freed.
  std::string name_;
  std::shared_ptr<StageCounters> counters_;
  bool timed_;
  std::int64_t pulled_ns_ = 0;    // input time inside the current next()
  std::int64_t last_next_ns_ = 0;  // duration of the last next(), read by the caller's pull()
};

// Rethrows the exception being handled as the same spool type with its message
// prefixed "<stage>: element #<index>: ". Other exceptions become InternalError.
// Call only inside a catch block.
[[noreturn]] void rethrow_with_context(const std::string& stage, std::int64_t index);
// The same, for a stored exception.
[[noreturn]] void rethrow_with_context(std::exception_ptr error, const std::string& stage, std::int64_t index);

// Saves an error for an iterator state, and makes it again (same spool type and message).
void write_error(StateWriter& writer, std::exception_ptr error);
std::exception_ptr read_error(StateReader& reader);

// An iterator over `input`, or over the stage the pipeline's rewrites put in its place:
// how every stage makes the iterators of its inputs.
std::unique_ptr<IteratorBase> make_input_iterator(const DatasetNode& input, const IteratorContext& context);

// A source whose elements are one per file of a list (list_files, file_names,
// ImageFolderDataset): what auto_shard's FILE policy divides among workers.
struct FileList {
  std::vector<std::string> paths;     // in list order
  bool shuffle = false;               // each pass visits a permutation of them
  std::optional<std::uint64_t> seed;  // of the permutations; none: drawn per pass
};

// What a stage's rewritten() sees: the switches, and its inputs as they will run.
class Rewriting {
 public:
  Rewriting(const Optimizations& optimizations, std::vector<NodePtr> inputs)
      : optimizations_(optimizations), inputs_(std::move(inputs)) {}
  const Optimizations& optimizations() const { return optimizations_; }
  const NodePtr& input(std::size_t i) const { return inputs_.at(i); }
  // input(i) as a stage of type T, or null.
  template <typename T>
  std::shared_ptr<const T> input_as(std::size_t i) const {
    return std::dynamic_pointer_cast<const T>(input(i));
  }

 private:
  const Optimizations& optimizations_;
  std::vector<NodePtr> inputs_;
};

class DatasetNode {
 public:
  virtual ~DatasetNode() = default;
  // The stage kind, as it appears in stats and iterator states: "map", "batch", ...
  virtual std::string name() const = 0;
  virtual std::unique_ptr<IteratorBase> make_iterator(const IteratorContext& context) const = 0;
  // Elements one pass yields, kInfiniteCardinality or kUnknownCardinality.
  virtual std::int64_t cardinality() const { return kUnknownCardinality; }
  // The stages this one reads (sources: none), for stats ordering.
  virtual std::vector<NodePtr> inputs() const { return {}; }
  // The count of iterators this stage keeps when its order depends on it
  // (iteration_counter.h), shared state owned by the node; null for the others.
  virtual IterationCounter* iteration_counter() const { return nullptr; }
  // The same stage over `inputs` (as many as inputs() lists; none for a source), with
  // the same parameters and new shared state, as if the pipeline were built anew.
  virtual NodePtr with_inputs(std::vector<NodePtr> inputs) const = 0;
  // The list of files a source (or a shard of one) stands for; nullopt for other stages.
  virtual std::optional<FileList> file_list() const { return std::nullopt; }
  // A stage that yields the same elements in the same order as this one does over
  // `rewriting`'s inputs (its own inputs, already rewritten), under the rewrites its
  // options allow (optimizations.h); null to keep this stage. A stage's rewrite lives
  // in its .cc; rewrite_plan.h applies them.
  virtual NodePtr rewritten(const Rewriting& rewriting) const;
};

}  // namespace spool::data::detail

namespace spool::data::detail {

// A stage with one input: keeps it, lists it, and passes its cardinality on unless
// overridden.
class UnaryNode : public DatasetNode {
 public:
  explicit UnaryNode(NodePtr input) : input_(std::move(input)) {}
  std::vector<NodePtr> inputs() const override { return {input_}; }
  std::int64_t cardinality() const override { return input_->cardinality(); }
  const NodePtr& input() const { return input_; }

 private:
  NodePtr input_;
};

// An iterator over a UnaryNode's input, made with the same context.
class UnaryIterator : public IteratorBase {
 public:
  UnaryIterator(const UnaryNode& node, const IteratorContext& context)
      : IteratorBase(node, context), input_(make_input_iterator(*node.input(), context)) {}

 protected:
  IteratorBase& input() { return *input_; }
  // For stages whose only state is their input's.
  void save(StateWriter& writer) override { input_->save_state(writer); }
  void restore(StateReader& reader) override { input_->restore_state(reader); }

 private:
  std::unique_ptr<IteratorBase> input_;
};

}  // namespace spool::data::detail
