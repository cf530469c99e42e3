// ParallelIterator: the engine behind parallel map and prefetch. Worker threads (and,
// for map, the consumer itself while its next element is not ready) pull
// input elements in turn (each gets the next index), apply a function outside any
// lock, and park the result in a slot keyed by that index; the consumer takes slots in
// index order (or as they finish when not deterministic). A slot holds an element, an
// error, or nothing (a filtered element), so errors arrive where they happened.
//
// Bounds: at most `capacity` elements are in flight or parked, and parked bytes count
// against the pipeline's byte budget. With autotune the capacity starts small and
// grows when the consumer finds nothing ready, up to max_capacity and only while the
// budget has room for it.
// save() pauses the workers, waits for elements in flight, and writes the parked
// slots and the input's state; restore() refills them before any thread starts.
// Thread-safety: the consumer calls get_next/save/restore; workers are internal.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "spool/data/detail/dataset_node.h"

namespace spool::data::detail {

struct ParallelConfig {
  std::int64_t workers = 1;       // background threads
  bool consumer_helps = false;    // the consumer computes elements instead of waiting
  std::int64_t capacity = 1;      // initial capacity
  std::int64_t max_capacity = 1;  // > capacity: autotune grows up to it
  bool deterministic = true;
};

// Returns the output for input element `index`, or nullopt to drop it. Called
// concurrently from workers. Exceptions are kept for the element.
using ParallelFn = std::function<std::optional<Element>(Element input, std::int64_t index)>;

class ParallelIterator : public IteratorBase {
 public:
  ParallelIterator(const DatasetNode& node, const IteratorContext& context, const NodePtr& input,
                   ParallelConfig config, ParallelFn fn);
  ~ParallelIterator() override;

 protected:
  std::optional<Element> get_next() override;
  // get_next(), then every result already parked behind it, taken under one lock.
  std::size_t get_next_n(std::size_t n, std::vector<Element>& out) override;
  void save(StateWriter& writer) override;
  void restore(StateReader& reader) override;

 private:
  struct Slot {
    std::optional<Element> element;
    std::exception_ptr error;
    std::int64_t bytes = 0;
  };

  void start_workers();
  void worker_loop();
  // Counts the next chunk of elements as in flight and returns its size; needs mu_.
  std::int64_t reserve_chunk();
  // Pulls up to `reserved` input elements, applies fn and parks the results; in_flight_
  // counts them already. Returns false when cancelled.
  bool process_chunk(std::int64_t reserved, bool on_consumer);
  // Takes the element's bytes from the budget (see the .cc for who may overshoot).
  bool acquire_bytes(std::int64_t chunk_start, Slot& slot, bool on_consumer);
  // The next element computed on the consumer's thread and returned without a slot,
  // for when the workers leave cheap elements to the consumer and nothing is in flight
  // or parked: parking each element only to take it back cost a quarter of inline
  // speed (bench_pipeline parallel_map/spin_rounds/500). Sets `out` (nullopt at the
  // end); false for an element fn dropped.
  bool compute_inline(std::optional<Element>& out);
  // Takes the slot the consumer is owed (result_ready() must hold); needs mu_.
  Slot take_slot();
  bool may_start_work() const;  // needs mu_
  bool worker_may_start() const;  // needs mu_: may_start_work(), and worth_handing_off() if the consumer helps
  bool worth_handing_off() const;  // the elements cost enough to pay for a hand-off between threads
  bool result_ready() const;    // needs mu_
  bool worth_waking_consumer() const;  // needs mu_

  const ParallelConfig config_;
  const ParallelFn fn_;
  std::shared_ptr<CancellationToken> token_;
  std::unique_ptr<IteratorBase> input_;  // pulled by workers under input_mu_
  CancellationToken::Registration wake_on_cancel_;

  std::mutex input_mu_;
  std::int64_t pulled_ = 0;     // guarded by input_mu_: indices handed out
  bool input_ended_ = false;    // guarded by input_mu_

  mutable std::mutex mu_;
  std::condition_variable result_cv_;  // consumer: a slot is ready; save: nothing in flight
  std::condition_variable work_cv_;    // workers: room to work, or unpaused
  std::map<std::int64_t, Slot> slots_;  // guarded by mu_: finished, not yet consumed
  std::int64_t in_flight_ = 0;          // guarded by mu_
  std::int64_t capacity_;               // guarded by mu_
  std::int64_t delivered_ = 0;          // guarded by mu_: next index for the consumer
  std::int64_t end_index_ = -1;         // guarded by mu_: index of the end, once seen
  bool paused_ = false;                 // guarded by mu_
  bool consumer_waiting_ = false;       // guarded by mu_: in get_next or save, on result_cv_
  std::int64_t workers_waiting_ = 0;    // guarded by mu_: on work_cv_
  std::int64_t budget_blocked_ = 0;     // guarded by mu_: in flight but waiting on the budget
  std::int64_t last_bytes_ = 0;         // guarded by mu_: size of the last element delivered
  // Copies of delivered_ and slots_.size() that budget waits read without mu_.
  std::atomic<std::int64_t> delivered_now_{0};
  std::atomic<std::int64_t> parked_{0};
  std::atomic<bool> pausing_{false};
  std::atomic<std::int64_t> element_ns_{1000000};  // running average of fn time per element; 1 ms until measured, so first chunks are single elements
  bool started_ = false;  // consumer only
  std::vector<std::thread> workers_;
};

}  // namespace spool::data::detail
