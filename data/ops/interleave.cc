// Dataset::interleave, tf.data's order: a cycle of cycle_length slots, visited in
// turn; an open slot gives up to block_length elements before the cycle moves on; a
// slot whose dataset ends is closed and the cycle moves on; an empty slot, when
// visited, pulls the next input element and opens its dataset. An error (of the
// input, of fn, of an inner dataset) does not move the cycle.
//
// With parallelism > 1, `workers` threads read the open slots ahead into bounded
// per-slot buffers, nearest the consumer's slot first; the consumer runs the same
// cycle over the buffers, so the order is the same. A worker reads a run of elements
// per visit and the threads wake each other only when one waits, so a hand-off costs
// per run, not per element: with small records (a TFRecord shard's) a hand-off per
// element made the parallel read slower than reading inline (bench_pipeline's
// interleave_tfrecord). A slot buffers up to kSlotBytes of elements (at least
// `capacity`, at most kMaxAhead). fn and the input stay on the
// consumer's thread. A worker reads a slot whose buffer holds something only while the
// byte budget has room, and never waits on the budget, so the slot the consumer
// waits for (its buffer is empty) can always be read.
//
// State: the cycle position, then per slot the input element that opened it, its
// inner iterator's state and its read-ahead, then the input's state.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "spool/data/dataset.h"
#include "spool/tensor/error.h"

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
    bool active = false;         // guarded by mu_: open, and not yet seen to end
    bool reading = false;        // guarded by mu_: a worker is in iterator->next()
    bool ended = false;          // guarded by mu_: the end is in `ahead`
    std::deque<Entry> ahead;     // guarded by mu_: read ahead (or restored), not consumed
    std::int64_t ahead_bytes = 0;  // guarded by mu_
  };

  std::optional<Element> get_next() override {
    if (config_.workers > 0 && workers_.empty()) start_workers();
    for (;;) {
      if (end_of_input_ && num_open_ == 0) return std::nullopt;
      if (!config_.deterministic) move_to_ready_slot();
      Slot& slot = slots_[static_cast<std::size_t>(cycle_index_)];
      if (slot.iterator) {
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

  // The next entry of slot i: what was read ahead, else (no threads) read now, else
  // wait for a worker.
  Entry take(std::int64_t i) {
    using Clock = std::chrono::steady_clock;
    Slot& slot = slots_[static_cast<std::size_t>(i)];
    std::unique_lock lock(mu_);
    if (slot.ahead.empty() && config_.workers == 0) {
      lock.unlock();
      Entry entry;
      try {
        entry.element = pull(*slot.iterator);
      } catch (...) {
        entry.error = std::current_exception();
      }
      return entry;
    }
    const bool refocused = focus_ != i;
    focus_ = i;
    if (slot.ahead.empty()) {
      work_cv_.notify_all();
      const auto start = Clock::now();
      consumer_waiting_ = true;
      ready_cv_.wait(lock, [&] { return token_->cancelled() || !slot.ahead.empty(); });
      consumer_waiting_ = false;
      add_wait(Clock::now() - start);
      SPOOL_CHECK(!token_->cancelled(), Cancelled, stage_name(), ": cancelled");
    }
    Entry entry = std::move(slot.ahead.front());
    slot.ahead.pop_front();
    slot.ahead_bytes -= entry.bytes;
    // Wake an idle worker once the slot has room for a run, or when the consumer
    // moved on to another slot (which the workers read first).
    // (A busy worker picks again when its run ends: only a sleeping one needs waking.)
    const bool wake = idle_workers_ > 0 &&
                      (refocused || static_cast<std::int64_t>(slot.ahead.size()) + kRun == slot_limit());
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

  // The open slot a worker should read next, nearest the consumer first; -1 if none.
  std::int64_t pick() const {  // needs mu_
    if (paused_) return -1;
    for (std::int64_t k = 0; k < config_.cycle_length; ++k) {
      const std::int64_t i = (focus_ + k) % config_.cycle_length;
      const Slot& s = slots_[static_cast<std::size_t>(i)];
      if (!s.active || s.reading || s.ended || static_cast<std::int64_t>(s.ahead.size()) >= slot_limit()) continue;
      if (s.ahead.empty() || budget().has_room(last_bytes_)) return i;
    }
    return -1;
  }

  // Elements a slot may hold read ahead: kSlotBytes of elements the size of the last
  // one read, within [capacity, kMaxAhead].
  std::int64_t slot_limit() const {  // needs mu_
    const std::int64_t by_bytes = kSlotBytes / std::max<std::int64_t>(last_bytes_, 1);
    return std::clamp(by_bytes, config_.capacity, std::max(config_.capacity, kMaxAhead));
  }

  void worker_loop() {
    std::vector<Element> run;
    for (;;) {
      std::int64_t i = -1;
      std::int64_t n = 1;
      {
        std::unique_lock lock(mu_);
        ++idle_workers_;
        work_cv_.wait(lock, [&] { return token_->cancelled() || (i = pick()) >= 0; });
        --idle_workers_;
        if (token_->cancelled()) return;
        Slot& s = slots_[static_cast<std::size_t>(i)];
        s.reading = true;
        // A run when the budget has room for it; one element (which pick() allows an
        // empty slot without room) otherwise.
        const std::int64_t room = slot_limit() - static_cast<std::int64_t>(s.ahead.size());
        n = std::clamp<std::int64_t>(room, 1, kRun);
        if (n > 1 && !budget().has_room(n * last_bytes_)) n = 1;
      }
      Slot& slot = slots_[static_cast<std::size_t>(i)];
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
      bool wake_consumer;
      {
        std::lock_guard lock(mu_);
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
        wake_consumer = consumer_waiting_;
      }
      if (wake_consumer) ready_cv_.notify_all();
    }
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
      writer.write_bool(slot.iterator != nullptr);
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
      if (!reader.read_bool()) continue;
      const std::int64_t index = reader.read_i64();
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
  // Autotune: a worker per slot, up to the cores (Options::autotune_parallelism): more
  // threads than cores only take turns on them.
  const std::int64_t parallelism =
      options_.parallelism() == kAutotune
          ? std::min(config.cycle_length, context.pipeline->options().autotune_parallelism())
          : options_.parallelism();
  config.workers = parallelism <= 1 ? 0 : std::min(parallelism, config.cycle_length);
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
