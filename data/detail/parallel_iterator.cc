#include "spool/data/detail/parallel_iterator.h"

#include <algorithm>
#include <chrono>

#include "spool/data/detail/stage_clock.h"
#include "spool/tensor/error.h"
#include "spool/tensor/spin_wait.h"

namespace spool::data::detail {

using spool::detail::lock_spinning;

ParallelIterator::ParallelIterator(const DatasetNode& node, const IteratorContext& context, const NodePtr& input,
                                   ParallelConfig config, ParallelFn fn)
    : IteratorBase(node, context),
      config_(config),
      fn_(std::move(fn)),
      token_(CancellationToken::make(context.cancel)),
      input_(make_input_iterator(*input, context.with_cancel(token_))),
      capacity_(config.capacity) {
  SPOOL_CHECK(config_.workers >= (config_.consumer_helps ? 0 : 1) && config_.capacity >= 1 && config_.max_capacity >= config_.capacity,
              InternalError, "ParallelIterator: workers ", config_.workers, ", capacity ", config_.capacity,
              ", max ", config_.max_capacity);
  wake_on_cancel_ = token_->on_cancel([this] {
    std::lock_guard lock(mu_);
    result_cv_.notify_all();
    work_cv_.notify_all();
  });
}

ParallelIterator::~ParallelIterator() {
  token_->cancel();
  for (auto& worker : workers_) worker.join();
  std::int64_t held = 0;
  for (const auto& [index, slot] : slots_) held += slot.bytes;
  budget().release(held);
}

void ParallelIterator::start_workers() {
  started_ = true;
  workers_.reserve(static_cast<std::size_t>(config_.workers));
  for (std::int64_t i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

bool ParallelIterator::may_start_work() const {
  return !paused_ && end_index_ < 0 && in_flight_ + static_cast<std::int64_t>(slots_.size()) < capacity_;
}

bool ParallelIterator::worker_may_start() const {
  return may_start_work() && (!config_.consumer_helps || worth_handing_off());
}

bool ParallelIterator::worth_handing_off() const {
  // Below this much work per element, handing elements to another thread costs more
  // than it saves: the worker allocates each result and the consumer frees it, and
  // glibc then takes the worker's arena lock from both threads, and the lock sleeps on
  // contention: a cheap map on 2 workers ran many times slower than inline. A consumer
  // that helps computes such elements alone, and elements that cost more are handed
  // off as before (bench_pipeline parallel_map/spin_rounds/500 sits below the threshold,
  // /2000 above it; docs/experiments.md, parallel map hand-off).
  constexpr std::int64_t kHandOffNs = 2000;
  return element_ns_.load(std::memory_order_relaxed) >= kHandOffNs;
}

bool ParallelIterator::result_ready() const {
  if (end_index_ >= 0 && delivered_ >= end_index_) return true;
  if (config_.deterministic) return slots_.count(delivered_) > 0;
  return !slots_.empty();
}

void ParallelIterator::worker_loop() {
  for (;;) {
    std::int64_t reserved = 0;
    {
      auto lock = lock_spinning(mu_);
      ++workers_waiting_;
      work_cv_.wait(lock, [&] { return token_->cancelled() || end_index_ >= 0 || worker_may_start(); });
      --workers_waiting_;
      if (token_->cancelled() || end_index_ >= 0) return;
      reserved = reserve_chunk();
    }
    if (!process_chunk(reserved, /*on_consumer=*/false)) return;
  }
}

std::int64_t ParallelIterator::reserve_chunk() {
  // Cheap elements go in chunks worth ~kChunkNs of work, so that the locks and the
  // hand-off are paid once per chunk; a chunk never takes more than a fair share of
  // the room, so every thread has work.
  constexpr std::int64_t kChunkNs = 100'000;
  const std::int64_t room = capacity_ - in_flight_ - static_cast<std::int64_t>(slots_.size());
  // A quarter of a fair share, so the next chunk finds room while the others run.
  const std::int64_t share = std::max<std::int64_t>(1, capacity_ / (4 * (config_.workers + 1)));
  const std::int64_t per_element = std::max<std::int64_t>(1, element_ns_.load(std::memory_order_relaxed));
  std::int64_t most = std::min(room, share);
  // Within the byte budget too (elements of a chunk the consumer waits for may pass it).
  if (budget().limit() > 0 && last_bytes_ > 0) {
    most = std::min(most, std::max<std::int64_t>(1, (budget().limit() - budget().used()) / last_bytes_));
  }
  const std::int64_t chunk = std::clamp<std::int64_t>(kChunkNs / per_element, 1, std::max<std::int64_t>(1, most));
  in_flight_ += chunk;
  return chunk;
}

bool ParallelIterator::process_chunk(std::int64_t reserved, bool on_consumer) {
  using Clock = std::chrono::steady_clock;
  struct Job {
    std::int64_t index = 0;
    std::optional<Element> input;
    Slot slot;
  };
  std::vector<Job> jobs;
  jobs.reserve(static_cast<std::size_t>(reserved));
  std::int64_t end_at = -1;  // the index at which this thread saw the input end
  {
    // The chunk's inputs in one next_n call (one timed call for the input's stats).
    auto input_lock = lock_spinning(input_mu_);
    std::vector<Element> inputs;
    while (static_cast<std::int64_t>(jobs.size()) < reserved && !input_ended_) {
      const auto want = static_cast<std::size_t>(reserved) - jobs.size();
      std::exception_ptr error;
      std::size_t got = 0;
      try {
        got = input_->next_n(want, inputs);
      } catch (...) {
        error = std::current_exception();  // the input's own error, passed on as is
      }
      for (Element& e : inputs) {
        Job job;
        job.index = pulled_++;
        job.input = std::move(e);
        jobs.push_back(std::move(job));
      }
      inputs.clear();
      if (error) {
        Job job;
        job.index = pulled_++;
        job.slot.error = error;
        jobs.push_back(std::move(job));
      } else if (got < want) {
        input_ended_ = true;
        end_at = pulled_++;
      }
    }
  }
  const auto start = Clock::now();
  for (Job& job : jobs) {
    if (!job.input) continue;
    try {
      job.slot.element = fn_(std::move(*job.input), job.index);
    } catch (...) {
      job.slot.error = std::current_exception();
    }
    // Earlier jobs of this chunk are not parked yet: if the consumer waits for one of
    // them, this element must not wait on the budget either.
    if (job.slot.element && !acquire_bytes(jobs.front().index, job.slot, on_consumer)) return false;  // cancelled
  }
  if (!jobs.empty()) {
    const auto spent = Clock::now() - start;
    // On the consumer's thread the time is inside next(), already counted.
    if (!on_consumer) add_background_self(spent);
    const std::int64_t per_element = to_ns(spent) / static_cast<std::int64_t>(jobs.size());
    element_ns_.store((element_ns_.load(std::memory_order_relaxed) * 3 + per_element) / 4, std::memory_order_relaxed);
  }
  auto lock = lock_spinning(mu_);
  in_flight_ -= reserved;
  if (end_at >= 0) {
    end_index_ = end_at;
    work_cv_.notify_all();  // the other workers may stop
  }
  for (Job& job : jobs) slots_.emplace(job.index, std::move(job.slot));
  parked_.store(static_cast<std::int64_t>(slots_.size()), std::memory_order_release);
  if (!on_consumer && worth_waking_consumer()) result_cv_.notify_one();
  return true;
}

bool ParallelIterator::acquire_bytes(std::int64_t chunk_start, Slot& slot, bool on_consumer) {
  slot.bytes = slot.element->byte_size();
  // The element the consumer waits for is always taken, whatever the budget says, and
  // so is every element while save() waits for the work in flight, and every element
  // the consumer computes itself (it must never wait on its own output).
  const auto needed_now = [this, chunk_start, on_consumer] {
    if (on_consumer || pausing_.load(std::memory_order_acquire)) return true;
    return config_.deterministic ? chunk_start <= delivered_now_.load(std::memory_order_acquire)
                                 : parked_.load(std::memory_order_acquire) == 0;
  };
  if (budget().try_acquire(slot.bytes, needed_now())) return true;
  {
    auto lock = lock_spinning(mu_);
    ++budget_blocked_;
    if (worth_waking_consumer()) result_cv_.notify_one();
  }
  const bool acquired = budget().acquire(slot.bytes, needed_now, *token_);
  auto lock = lock_spinning(mu_);
  --budget_blocked_;
  return acquired;
}

bool ParallelIterator::worth_waking_consumer() const {
  if (!consumer_waiting_) return false;
  const bool working = in_flight_ > budget_blocked_;
  if (paused_) return !working && budget_blocked_ == 0;
  if (!result_ready()) return false;
  // A wake-up costs microseconds: let one serve a run of elements, unless nothing else
  // is being computed, the stream ended, or this is the first element.
  if (!working || end_index_ >= 0 || delivered_ == 0) return true;
  const std::int64_t run = std::max<std::int64_t>(1, capacity_ / 2);
  if (!config_.deterministic) return static_cast<std::int64_t>(slots_.size()) >= run;
  std::int64_t ready = 0;
  for (auto it = slots_.find(delivered_); it != slots_.end() && it->first == delivered_ + ready && ready < run; ++it) {
    ++ready;
  }
  return ready >= run;
}

std::optional<Element> ParallelIterator::get_next() {
  using Clock = std::chrono::steady_clock;
  if (!started_) start_workers();
  for (;;) {
    auto lock = lock_spinning(mu_);
    if (config_.consumer_helps && in_flight_ == 0 && slots_.empty() && end_index_ < 0 && !paused_ &&
        !worth_handing_off()) {
      lock.unlock();
      std::optional<Element> out;
      if (compute_inline(out)) return out;
      continue;  // a dropped element
    }
    if (!result_ready() && config_.consumer_helps && may_start_work() &&
        (budget().has_room(last_bytes_) || in_flight_ == 0)) {
      // Rather than sleep until a worker delivers, the consumer computes the next
      // element itself: no wake-up to wait for, and no third thread on two cores. Past
      // the budget too when nothing is in flight: nobody else is computing the one it
      // waits for (a worker may be asleep, leaving cheap elements to the consumer, and
      // the elements may have just turned expensive).
      const std::int64_t reserved = reserve_chunk();
      lock.unlock();
      process_chunk(reserved, /*on_consumer=*/true);
      // The chunk's cost may show that a waiting worker is worth waking after all (the
      // next pass of this loop notifies it if so).
      continue;
    }
    if (!result_ready()) {
      // The consumer found nothing ready: autotune buys more room ahead, within budget.
      if (capacity_ < config_.max_capacity && budget().has_room(last_bytes_ * (capacity_ + 1))) {
        ++capacity_;
        if (workers_waiting_ > 0 && worker_may_start()) work_cv_.notify_one();
      }
      if (workers_waiting_ > 0 && worker_may_start()) work_cv_.notify_one();
      const auto start = Clock::now();
      consumer_waiting_ = true;
      result_cv_.wait(lock, [&] { return token_->cancelled() || result_ready(); });
      consumer_waiting_ = false;
      add_wait(Clock::now() - start);
      SPOOL_CHECK(!token_->cancelled(), Cancelled, stage_name(), ": cancelled");
    }
    if (end_index_ >= 0 && delivered_ >= end_index_) return std::nullopt;
    Slot slot = take_slot();
    if (workers_waiting_ > 0 && worker_may_start()) work_cv_.notify_one();
    lock.unlock();
    budget().release(slot.bytes);
    if (slot.error) std::rethrow_exception(slot.error);
    if (slot.element) return std::move(slot.element);
    // A dropped element: look at the next slot.
  }
}

bool ParallelIterator::compute_inline(std::optional<Element>& out) {
  std::int64_t index = 0;
  std::optional<Element> input;
  std::exception_ptr error;
  {
    // No worker is in a chunk (in_flight_ is 0), and none starts one while elements
    // stay this cheap, but the lock keeps the input's one-thread-at-a-time rule plain.
    auto input_lock = lock_spinning(input_mu_);
    index = pulled_++;
    try {
      input = input_->next();
    } catch (...) {
      error = std::current_exception();  // the input's own error, passed on as is
    }
    if (!input && !error) input_ended_ = true;
  }
  bool produced = true;
  if (input) {
    const std::int64_t start = stage_clock_ns();
    try {
      out = fn_(std::move(*input), index);
      produced = out.has_value();
    } catch (...) {
      error = std::current_exception();
    }
    const std::int64_t spent = stage_clock_ns() - start;
    element_ns_.store((element_ns_.load(std::memory_order_relaxed) * 7 + spent) / 8, std::memory_order_relaxed);
  }
  {
    auto lock = lock_spinning(mu_);
    if (!input && !error) {
      end_index_ = index;
      work_cv_.notify_all();  // the workers may stop
    } else {
      ++delivered_;
      delivered_now_.store(delivered_, std::memory_order_release);
    }
  }
  if (error) std::rethrow_exception(error);
  return produced || !input;
}

ParallelIterator::Slot ParallelIterator::take_slot() {
  auto it = config_.deterministic ? slots_.find(delivered_) : slots_.begin();
  Slot slot = std::move(it->second);
  slots_.erase(it);
  parked_.store(static_cast<std::int64_t>(slots_.size()), std::memory_order_release);
  ++delivered_;
  delivered_now_.store(delivered_, std::memory_order_release);
  if (slot.element) last_bytes_ = slot.bytes;
  return slot;
}

std::size_t ParallelIterator::get_next_n(std::size_t n, std::vector<Element>& out) {
  std::size_t got = 0;
  while (got < n) {
    std::optional<Element> first = get_next();  // waits for, or computes, the next one
    if (!first) break;
    out.push_back(std::move(*first));
    ++got;
    // Then the run already parked behind it, under one lock and one budget release.
    std::exception_ptr error;
    std::int64_t bytes = 0;
    {
      auto lock = lock_spinning(mu_);
      while (got < n && !error && result_ready() && !(end_index_ >= 0 && delivered_ >= end_index_)) {
        Slot slot = take_slot();
        bytes += slot.bytes;
        error = slot.error;
        if (slot.element) {
          out.push_back(std::move(*slot.element));
          ++got;
        }
      }
      if (workers_waiting_ > 0 && worker_may_start()) work_cv_.notify_one();
    }
    budget().release(bytes);
    if (error) std::rethrow_exception(error);
  }
  return got;
}

void ParallelIterator::save(StateWriter& writer) {
  std::unique_lock lock(mu_);
  paused_ = true;
  pausing_.store(true);  // seq_cst: ordered before release(0) reads the waiters
  budget().release(0);  // wakes workers waiting on the budget: they may take it now
  consumer_waiting_ = true;
  result_cv_.wait(lock, [&] { return in_flight_ == 0 || token_->cancelled(); });
  consumer_waiting_ = false;
  SPOOL_CHECK(!token_->cancelled(), Cancelled, stage_name(), ": cancelled during save");
  {
    std::lock_guard input_lock(input_mu_);
    writer.write_i64(pulled_);
    writer.write_bool(input_ended_);
  }
  writer.write_i64(delivered_);
  writer.write_i64(end_index_);
  writer.write_i64(capacity_);
  writer.write_i64(static_cast<std::int64_t>(slots_.size()));
  for (const auto& [index, slot] : slots_) {
    writer.write_i64(index);
    writer.write_bool(slot.error != nullptr);
    if (slot.error) {
      write_error(writer, slot.error);
    } else {
      writer.write_bool(slot.element.has_value());
      if (slot.element) writer.write_element(*slot.element);
    }
  }
  input_->save_state(writer);
  paused_ = false;
  pausing_.store(false, std::memory_order_release);
  lock.unlock();
  work_cv_.notify_all();
}

void ParallelIterator::restore(StateReader& reader) {
  SPOOL_CHECK(!started_, InternalError, stage_name(), ": restore after the workers started");
  std::lock_guard lock(mu_);
  std::lock_guard input_lock(input_mu_);
  pulled_ = reader.read_count("the indices handed out");
  input_ended_ = reader.read_bool();
  delivered_ = reader.read_count("the elements delivered");
  end_index_ = reader.read_i64();
  capacity_ = std::clamp<std::int64_t>(reader.read_i64(), config_.capacity, config_.max_capacity);
  // save() waits until nothing is in flight, so every index handed out is delivered,
  // saved, or the input's end (the last one handed out). A state that breaks this would
  // leave next() waiting for a slot that never comes: refuse it.
  const std::int64_t count = reader.read_i64();
  const std::int64_t end_slots = input_ended_ ? 1 : 0;
  SPOOL_CHECK(delivered_ >= 0 && pulled_ >= end_slots && pulled_ - end_slots >= delivered_, DataLossError, stage_name(),
              ": saved indices do not add up: ", delivered_, " delivered of ", pulled_, " handed out");
  SPOOL_CHECK(input_ended_ ? end_index_ == pulled_ - 1 : end_index_ == -1, DataLossError, stage_name(),
              ": saved end of input at index ", end_index_, " with ", pulled_, " handed out and the input ",
              input_ended_ ? "ended" : "not ended");
  SPOOL_CHECK(count == pulled_ - delivered_ - end_slots, DataLossError, stage_name(), ": saved ", count,
              " buffered elements for the ", pulled_ - delivered_ - end_slots, " not yet delivered of indices [",
              delivered_, ", ", pulled_, ")");
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t index = reader.read_i64();
    // In deterministic order the consumer takes indices in turn, so the buffered ones
    // are exactly those after the delivered; otherwise any not yet delivered.
    const std::int64_t lowest = config_.deterministic ? delivered_ : 0;
    SPOOL_CHECK(index >= lowest && index < pulled_ - end_slots, DataLossError, stage_name(), ": saved buffered element ",
                i, " has index ", index, ", outside [", lowest, ", ", pulled_ - end_slots, ")");
    SPOOL_CHECK(!slots_.contains(index), DataLossError, stage_name(), ": saved index ", index, " twice");
    Slot slot;
    if (reader.read_bool()) {
      slot.error = read_error(reader);
    } else if (reader.read_bool()) {
      slot.element = reader.read_element();
      slot.bytes = slot.element->byte_size();
      budget().try_acquire(slot.bytes, /*holds_nothing=*/true);
    }
    slots_.emplace(index, std::move(slot));
  }
  parked_.store(static_cast<std::int64_t>(slots_.size()), std::memory_order_release);
  delivered_now_.store(delivered_, std::memory_order_release);
  input_->restore_state(reader);
}

}  // namespace spool::data::detail
