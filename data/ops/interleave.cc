// Dataset::interleave, tf.data's order: a cycle of cycle_length slots, visited in
// turn; an open slot gives up to block_length elements before the cycle moves on; a
// slot whose dataset ends is closed and the cycle moves on; an empty slot, when
// visited, pulls the next input element and opens its dataset. An error (of the
// input, of fn, of an inner dataset) does not move the cycle.
//
// With parallelism N > 1 there are N readers (at most cycle_length): N - 1 `workers`
// threads read the open slots ahead into bounded per-slot buffers, nearest the
// consumer's slot first, and the consumer reads too while it would otherwise wait (see
// take()); the consumer runs the same cycle over the buffers, so the order is the
// same. The slots are opened as soon as they are empty (see open_ahead()). A reader
// reads a run of elements per visit and the threads wake each other only when one
// waits, so a hand-off costs per run, not per element: with small records (a TFRecord
// shard's) a hand-off per element made the parallel read slower than reading inline
// (bench_pipeline's interleave_tfrecord). A slot buffers up to kSlotBytes of elements
// (at least `capacity`, at most kMaxAhead). fn and the input stay on the consumer's
// thread. A worker reads a slot whose buffer holds something only while the byte
// budget has room, and never waits on the budget, so the slot the consumer waits for
// (its buffer is empty) can always be read.
//
// State: the cycle position, then per slot the input element that opened it, its
// inner iterator's state and its read-ahead (or, for a slot opened ahead whose
// opening failed, kPendingError and the error), then the input's state.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "spool/data/dataset.h"
#include "spool/tensor/error.h"
#include "spool/tensor/spin_wait.h"

namespace spool::data {
namespace {

class InterleaveNode : public detail::UnaryNode {
 public:
  InterleaveNode(detail::NodePtr input, InterleaveFn fn, InterleaveOptions options)
      : UnaryNode(std::move(input)), fn_(std::move(fn)), options_(options) {}
  std::string name() const override { return "interleave"; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override {
    return std::make_shared<InterleaveNode>(in[0], fn_, options_);
  }
  std::int64_t cardinality() const override { return kUnknownCardinality; }
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  // fn on input element #index; its errors carry the stage and the index.
  detail::NodePtr open(const Element& e, std::int64_t index) const {
    try {
      return fn_(e).node();
    } catch (...) {
      detail::rethrow_with_context(name(), index);
    }
  }

  const InterleaveFn fn_;
  const InterleaveOptions options_;
};

struct InterleaveConfig {
  std::int64_t cycle_length = 1;
  std::int64_t block_length = 1;
  std::int64_t workers = 0;   // 0: no threads
  std::int64_t capacity = 2;  // read-ahead elements per slot, at least
  bool deterministic = true;
};

constexpr std::int64_t kSlotBytes = 256 << 10;
constexpr std::int64_t kMaxAhead = 256;
constexpr std::int64_t kRun = 32;  // elements a worker reads per visit, at most
constexpr std::int64_t kPendingError = -1;  // in a state, for a slot's input index: the slot holds an error

class InterleaveIterator : public detail::IteratorBase {
 public:
  InterleaveIterator(const InterleaveNode& node, const detail::IteratorContext& context, InterleaveConfig config)
      : IteratorBase(node, context),
        node_(node),
        config_(config),
        token_(detail::CancellationToken::make(context.cancel)),
        inner_context_(config.workers > 0 ? context.with_cancel(token_) : context),
        input_(detail::make_input_iterator(*node.input(), inner_context_)),
        slots_(static_cast<std::size_t>(config.cycle_length)) {
    wake_on_cancel_ = token_->on_cancel([this] {
      std::lock_guard lock(mu_);
      ready_cv_.notify_all();
      work_cv_.notify_all();
    });
  }

  ~InterleaveIterator() override {
    token_->cancel();
    for (auto& worker : workers_) worker.join();
    std::int64_t held = 0;
    for (const Slot& slot : slots_) held += slot.ahead_bytes;
    budget().release(held);
  }

 private:
  // An element, an error, or (neither) the end of the slot's dataset.
  struct Entry {
    std::optional<Element> element;
    std::exception_ptr error;
    std::int64_t bytes = 0;
  };
  struct Slot {
    // Consumer-owned; workers use `iterator` only while `active` and `reading`.
    std::optional<Element> arg;  // the input element that opened the slot
    std::int64_t arg_index = 0;
    detail::NodePtr node;  // the inner dataset's stage, which its iterator references
    std::unique_ptr<detail::IteratorBase> iterator;
    std::exception_ptr pending;  // an error opening it ahead, delivered when the cycle visits it
    bool active = false;         // guarded by mu_: open, and not yet seen to end
    bool reading = false;        // guarded by mu_: a reader (worker or consumer) is in read_run()
    bool ended = false;          // guarded by mu_: the end is in `ahead`
    std::deque<Entry> ahead;     // guarded by mu_: read ahead (or restored), not consumed
    std::int64_t ahead_bytes = 0;  // guarded by mu_
  };

  std::optional<Element> get_next() override {
    if (config_.workers > 0 && workers_.empty()) start_workers();
    for (;;) {
      if (config_.workers > 0) open_ahead();
      if (end_of_input_ && num_open_ == 0) return std::nullopt;
      if (!config_.deterministic) move_to_ready_slot();
      Slot& slot = slots_[static_cast<std::size_t>(cycle_index_)];
      if (slot.pending) {
        std::exception_ptr error = std::move(slot.pending);
        slot.pending = nullptr;
        std::rethrow_exception(error);
      } else if (slot.iterator) {
        Entry entry = take(cycle_index_);
        if (entry.error) std::rethrow_exception(entry.error);
        if (entry.element) {
          if (++block_index_ == config_.block_length) next_in_cycle();
          return std::move(entry.element);
        }
        close(slot);
        next_in_cycle();
      } else if (!end_of_input_) {
        std::optional<Element> arg = pull(*input_);
        if (!arg) {
          end_of_input_ = true;
          continue;
        }
        open(slot, std::move(*arg), inputs_pulled_++);
      } else {
        next_in_cycle();
      }
    }
  }

  // Opens the empty slots now instead of when the cycle reaches them, so that workers
  // start on them early (a gzip shard is inflated whole on its first read: opened one
  // at a time, the shards of bench_pipeline's interleave_tfrecord were inflated one
  // after the other). The cycle would pull the input for its empty slots in this same
  // order, from its position on, and a slot that closes is the next to pull, so each
  // slot gets the same input element. An error stays with its slot until the cycle
  // visits it and stops the pulls, since the cycle would try that slot again first.
  void open_ahead() {
    if (end_of_input_ || num_open_ == config_.cycle_length) return;
    for (std::int64_t k = 0; k < config_.cycle_length; ++k) {
      Slot& slot = slots_[static_cast<std::size_t>((cycle_index_ + k) % config_.cycle_length)];
      if (slot.pending) return;
      if (slot.iterator) continue;
      std::optional<Element> arg;
      try {
        arg = pull(*input_);
        if (!arg) {
          end_of_input_ = true;
          return;
        }
        open(slot, std::move(*arg), inputs_pulled_++);
      } catch (...) {
        slot.pending = std::current_exception();
        return;
      }
    }
  }

  void next_in_cycle() {
    block_index_ = 0;
    cycle_index_ = (cycle_index_ + 1) % config_.cycle_length;
  }

  void open(Slot& slot, Element arg, std::int64_t index) {
    detail::NodePtr inner = node_.open(arg, index);
    slot.iterator = inner->make_iterator(inner_context_);
    slot.node = std::move(inner);
    slot.arg = std::move(arg);
    slot.arg_index = index;
    ++num_open_;
    {
      std::lock_guard lock(mu_);
      slot.active = true;
      slot.ended = false;
    }
    work_cv_.notify_all();
  }

  void close(Slot& slot) {
    {
      std::lock_guard lock(mu_);
      slot.active = false;
      slot.ended = false;
    }
    slot.iterator.reset();
    slot.node.reset();
    slot.arg.reset();
    --num_open_;
  }

  // The next entry of slot i: what was read ahead; else (no threads) read now; else
  // the consumer reads a run of the slot itself if no worker is reading it, or of
  // another slot a worker would pick, and waits only when there is nothing to read.
  // So the consumer is one of the readers, and a reader never sleeps while another
  // slot could be read (bench_pipeline's interleave_tfrecord: with a waiting consumer,
  // two workers on two cores read slower than one thread).
  Entry take(std::int64_t i) {
    using Clock = std::chrono::steady_clock;
    Slot& slot = slots_[static_cast<std::size_t>(i)];
    if (config_.workers == 0 && slot.ahead.empty()) {  // no other thread touches the slot
      Entry entry;
      try {
        entry.element = pull(*slot.iterator);
      } catch (...) {
        entry.error = std::current_exception();
      }
      return entry;
    }
    auto lock = spool::detail::lock_spinning(mu_);
    focus_ = i;
    while (slot.ahead.empty()) {
      SPOOL_CHECK(!token_->cancelled(), Cancelled, stage_name(), ": cancelled");
      // Another slot's run is one element, so that the consumer is back when its own
      // slot's run ends.
      const std::int64_t j = slot.reading ? pick() : i;
      if (j >= 0) {
        read_run(lock, j, j == i ? kRun : 1, consumer_run_);
        continue;
      }
      const auto start = Clock::now();
      consumer_waiting_ = true;
      ready_cv_.wait(lock, [&] {
        return token_->cancelled() || !slot.ahead.empty() || !slot.reading || pick() >= 0;
      });
      consumer_waiting_ = false;
      add_wait(Clock::now() - start);
    }
    Entry entry = std::move(slot.ahead.front());
    slot.ahead.pop_front();
    slot.ahead_bytes -= entry.bytes;
    // (A busy worker picks again when its run ends: only a sleeping one needs waking.)
    const bool wake =
        idle_workers_ > 0 && slot_limit() - static_cast<std::int64_t>(slot.ahead.size()) == wake_room();
    lock.unlock();
    if (wake) work_cv_.notify_one();
    budget().release(entry.bytes);
    return entry;
  }

  // deterministic(false): when the current slot has nothing ready, continue with the
  // first open slot that has.
  void move_to_ready_slot() {
    std::lock_guard lock(mu_);
    if (!slots_[static_cast<std::size_t>(cycle_index_)].active ||
        !slots_[static_cast<std::size_t>(cycle_index_)].ahead.empty()) {
      return;
    }
    for (std::int64_t k = 1; k < config_.cycle_length; ++k) {
      const std::int64_t j = (cycle_index_ + k) % config_.cycle_length;
      if (slots_[static_cast<std::size_t>(j)].active && !slots_[static_cast<std::size_t>(j)].ahead.empty()) {
        cycle_index_ = j;
        block_index_ = 0;
        return;
      }
    }
  }

  void start_workers() {
    workers_.reserve(static_cast<std::size_t>(config_.workers));
    for (std::int64_t i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  // The open slot a worker (or the waiting consumer) should read next, nearest the
  // consumer first; -1 if none.
  std::int64_t pick() const {  // needs mu_
    if (paused_) return -1;
    for (std::int64_t k = 0; k < config_.cycle_length; ++k) {
      const std::int64_t i = (focus_ + k) % config_.cycle_length;
      const Slot& s = slots_[static_cast<std::size_t>(i)];
      const std::int64_t room = slot_limit() - static_cast<std::int64_t>(s.ahead.size());
      if (!s.active || s.reading || s.ended || (room < run_room() && !s.ahead.empty())) continue;
      if (s.ahead.empty() || budget().has_room(last_bytes_)) return i;
    }
    return -1;
  }

  // A worker starts on a slot only when it has room for a run, and is woken only once
  // a slot has room for several, so that it reads several runs per wake-up: on a
  // virtual machine a wake-up costs more than a run of small elements
  // (bench_pipeline's interleave_tfrecord).
  std::int64_t run_room() const { return std::min(kRun, std::max<std::int64_t>(slot_limit() / 2, 1)); }  // needs mu_
  std::int64_t wake_room() const { return std::max(run_room(), slot_limit() / 2); }                       // needs mu_

  // Elements a slot may hold read ahead: kSlotBytes of elements the size of the last
  // one read, within [capacity, kMaxAhead].
  std::int64_t slot_limit() const {  // needs mu_
    const std::int64_t by_bytes = kSlotBytes / std::max<std::int64_t>(last_bytes_, 1);
    return std::clamp(by_bytes, config_.capacity, std::max(config_.capacity, kMaxAhead));
  }

  void worker_loop() {
    std::vector<Element> run;
    std::unique_lock lock(mu_);
    for (;;) {
      std::int64_t i = -1;
      ++idle_workers_;
      work_cv_.wait(lock, [&] { return token_->cancelled() || (i = pick()) >= 0; });
      --idle_workers_;
      if (token_->cancelled()) return;
      if (read_run(lock, i, kRun, run)) {
        lock.unlock();
        ready_cv_.notify_all();
        spool::detail::lock_spinning(lock);
      }
    }
  }

  // Reads a run of up to `most` elements of slot i into its buffer, releasing `lock`
  // (on mu_) while it reads; returns whether the consumer waits. Needs a slot that
  // pick() allows, or the consumer's own, which may be read past the byte budget when
  // it is empty.
  bool read_run(std::unique_lock<std::mutex>& lock, std::int64_t i, std::int64_t most, std::vector<Element>& run) {
    Slot& slot = slots_[static_cast<std::size_t>(i)];
    slot.reading = true;
    // A run when the budget has room for it; one element (which pick() allows an
    // empty slot without room) otherwise.
    const std::int64_t room = slot_limit() - static_cast<std::int64_t>(slot.ahead.size());
    std::int64_t n = std::clamp<std::int64_t>(room, 1, most);
    if (n > 1 && !budget().has_room(n * last_bytes_)) n = 1;
    lock.unlock();
    run.clear();
    std::exception_ptr error;
    try {
      slot.iterator->next_n(static_cast<std::size_t>(n), run);
    } catch (...) {
      error = std::current_exception();
    }
    const bool ended = !error && static_cast<std::int64_t>(run.size()) < n;
    std::int64_t bytes = 0;
    std::vector<std::int64_t> sizes(run.size());
    for (std::size_t k = 0; k < run.size(); ++k) bytes += sizes[k] = run[k].byte_size();
    budget().try_acquire(bytes, /*holds_nothing=*/true);  // checked for room above
    spool::detail::lock_spinning(lock);
    slot.reading = false;
    for (std::size_t k = 0; k < run.size(); ++k) {
      slot.ahead.push_back(Entry{std::move(run[k]), nullptr, sizes[k]});
      last_bytes_ = sizes[k];
    }
    // Moved, so that the consumer holds the last reference to the exception.
    if (error) slot.ahead.push_back(Entry{std::nullopt, std::move(error), 0});
    if (ended) slot.ahead.push_back(Entry{});
    slot.ended = ended;
    slot.ahead_bytes += bytes;
    return consumer_waiting_;
  }

  void save(StateWriter& writer) override {
    std::unique_lock lock(mu_);
    paused_ = true;
    consumer_waiting_ = true;  // so a worker ending its run wakes this wait
    ready_cv_.wait(lock, [&] {
      return token_->cancelled() || std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.reading; });
    });
    consumer_waiting_ = false;
    SPOOL_CHECK(!token_->cancelled(), Cancelled, stage_name(), ": cancelled during save");
    writer.write_i64(config_.cycle_length);
    writer.write_i64(cycle_index_);
    writer.write_i64(block_index_);
    writer.write_bool(end_of_input_);
    writer.write_i64(inputs_pulled_);
    for (Slot& slot : slots_) {
      writer.write_bool(slot.iterator != nullptr || slot.pending);
      if (slot.pending) {
        writer.write_i64(kPendingError);
        detail::write_error(writer, slot.pending);
        continue;
      }
      if (!slot.iterator) continue;
      writer.write_i64(slot.arg_index);
      writer.write_element(*slot.arg);
      slot.iterator->save_state(writer);
      writer.write_i64(static_cast<std::int64_t>(slot.ahead.size()));
      for (const Entry& entry : slot.ahead) {
        writer.write_bool(entry.error != nullptr);
        if (entry.error) {
          detail::write_error(writer, entry.error);
        } else {
          writer.write_bool(entry.element.has_value());
          if (entry.element) writer.write_element(*entry.element);
        }
      }
    }
    input_->save_state(writer);
    paused_ = false;
    lock.unlock();
    work_cv_.notify_all();
  }

  void restore(StateReader& reader) override {
    SPOOL_CHECK(workers_.empty(), InternalError, stage_name(), ": restore after the workers started");
    const std::int64_t cycle_length = reader.read_i64();
    SPOOL_CHECK(cycle_length == config_.cycle_length, InvalidArgument, stage_name(), ": the state was saved with ",
                "cycle_length ", cycle_length, ", this pipeline has ", config_.cycle_length);
    cycle_index_ = reader.read_i64();
    block_index_ = reader.read_i64();
    SPOOL_CHECK(cycle_index_ >= 0 && cycle_index_ < cycle_length && block_index_ >= 0 &&
                    block_index_ < config_.block_length,
                DataLossError, stage_name(), ": saved position ", cycle_index_, "/", block_index_,
                " outside cycle_length ", cycle_length, " and block_length ", config_.block_length);
    end_of_input_ = reader.read_bool();
    inputs_pulled_ = reader.read_count("the inputs pulled");
    for (Slot& slot : slots_) {
      if (slot.iterator) close(slot);
      slot.pending = nullptr;
      if (!reader.read_bool()) continue;
      const std::int64_t index = reader.read_i64();
      if (index == kPendingError) {
        slot.pending = detail::read_error(reader);
        continue;
      }
      SPOOL_CHECK(index >= 0 && index < inputs_pulled_, DataLossError, stage_name(), ": saved input element #", index,
                  " of a slot, of ", inputs_pulled_, " pulled");
      open(slot, reader.read_element(), index);  // fn again, on the same element
      slot.iterator->restore_state(reader);
      const std::int64_t count = reader.read_i64();
      const std::int64_t most = std::max(config_.capacity, kMaxAhead) + 2;  // and an error, the end
      SPOOL_CHECK(count >= 0 && count <= most, DataLossError, stage_name(), ": saved ", count,
                  " read-ahead elements for a slot that holds at most ", most);
      std::lock_guard lock(mu_);
      for (std::int64_t k = 0; k < count; ++k) {
        Entry entry;
        if (reader.read_bool()) {
          entry.error = detail::read_error(reader);
        } else if (reader.read_bool()) {
          entry.element = reader.read_element();
          entry.bytes = entry.element->byte_size();
          budget().try_acquire(entry.bytes, /*holds_nothing=*/true);
        } else {
          slot.ended = true;
        }
        slot.ahead_bytes += entry.bytes;
        slot.ahead.push_back(std::move(entry));
      }
    }
    input_->restore_state(reader);
  }

  const InterleaveNode& node_;
  const InterleaveConfig config_;
  std::shared_ptr<detail::CancellationToken> token_;
  const detail::IteratorContext inner_context_;
  std::unique_ptr<detail::IteratorBase> input_;  // consumer only
  std::vector<Element> consumer_run_;             // consumer only: read_run's buffer
  // Consumer only: the cycle position and the counts of tf.data's loop.
  std::int64_t cycle_index_ = 0;
  std::int64_t block_index_ = 0;
  std::int64_t num_open_ = 0;
  std::int64_t inputs_pulled_ = 0;
  bool end_of_input_ = false;

  mutable std::mutex mu_;
  std::condition_variable ready_cv_;  // consumer: an entry arrived; save: no slot is being read
  std::condition_variable work_cv_;   // workers: a slot to read, or unpaused
  std::vector<Slot> slots_;           // fixed size; fields as marked
  std::int64_t focus_ = 0;            // guarded by mu_: the slot the consumer takes from
  std::int64_t last_bytes_ = 0;       // guarded by mu_: size of the last element read ahead
  bool paused_ = false;               // guarded by mu_
  bool consumer_waiting_ = false;     // guarded by mu_: in take()'s wait
  std::int64_t idle_workers_ = 0;     // guarded by mu_: in worker_loop()'s wait
  detail::CancellationToken::Registration wake_on_cancel_;
  std::vector<std::thread> workers_;
};

std::unique_ptr<detail::IteratorBase> InterleaveNode::make_iterator(const detail::IteratorContext& context) const {
  InterleaveConfig config;
  config.cycle_length = options_.cycle_length() == kAutotune ? context.pipeline->options().autotune_parallelism()
                                                            : options_.cycle_length();
  config.block_length = options_.block_length();
  // Autotune: a reader per slot, up to the cores (Options::autotune_parallelism): more
  // threads than cores only take turns on them. The consumer is one of the readers, as
  // in a parallel map.
  const std::int64_t parallelism =
      options_.parallelism() == kAutotune
          ? std::min(config.cycle_length, context.pipeline->options().autotune_parallelism())
          : options_.parallelism();
  config.workers = parallelism <= 1 ? 0 : std::min(parallelism, config.cycle_length) - 1;
  // A block ready per slot, and at least two so a worker can read while the consumer
  // takes. (Without threads only restore uses it: a state saved with threads may be
  // resumed without.)
  config.capacity = std::max<std::int64_t>(config.block_length, 2);
  config.deterministic = options_.deterministic() || config.workers == 0;
  return std::make_unique<InterleaveIterator>(*this, context, config);
}

}  // namespace

InterleaveOptions& InterleaveOptions::cycle_length(std::int64_t n) {
  SPOOL_CHECK(n == kAutotune || n >= 1, InvalidArgument, "interleave: cycle_length must be kAutotune or >= 1, got ",
              n);
  cycle_length_ = n;
  return *this;
}

InterleaveOptions& InterleaveOptions::block_length(std::int64_t n) {
  SPOOL_CHECK(n >= 1, InvalidArgument, "interleave: block_length must be >= 1, got ", n);
  block_length_ = n;
  return *this;
}

InterleaveOptions& InterleaveOptions::parallelism(std::int64_t n) {
  SPOOL_CHECK(n == kAutotune || (n >= 1 && n <= 1024), InvalidArgument,
              "interleave: parallelism must be kAutotune or in [1, 1024], got ", n);
  parallelism_ = n;
  return *this;
}

Dataset Dataset::interleave(InterleaveFn fn, InterleaveOptions options) const {
  SPOOL_CHECK(fn != nullptr, InvalidArgument, "interleave: the function is empty");
  return derive(std::make_shared<InterleaveNode>(node_, std::move(fn), options));
}

}  // namespace spool::data
