#include "spool/data/sources/record_source.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "spool/data/io/tfrecord_format.h"
#include "spool/tensor/error.h"

namespace spool::data::detail {

TFRecordReader RecordSource::open() const {
  TFRecordReader reader(file_, options_);
  if (position_.offset != 0 || position_.index != 0) reader.seek(position_.offset, position_.index);
  return reader;
}

void RecordSource::handed_out(const Record& r) {
  position_ = {r.offset + tfrecord::kFrameOverhead + r.size(), r.index + 1};
}

namespace {

class InlineSource final : public RecordSource {
 public:
  using RecordSource::RecordSource;

  std::optional<Record> next(std::chrono::steady_clock::duration&) override {
    if (done_) return std::nullopt;
    std::optional<Record> r;
    try {
      if (!reader_) reader_.emplace(open());
      r = reader_->next();
    } catch (...) {
      finish();
      throw;
    }
    if (!r) {
      finish();
      return std::nullopt;
    }
    handed_out(*r);
    return r;
  }

 private:
  void finish() {
    done_ = true;
    reader_.reset();
  }
  std::optional<TFRecordReader> reader_;
  bool done_ = false;
};

class ThreadedSource final : public RecordSource {
 public:
  ThreadedSource(std::string file, RecordOptions options, RecordPosition start, std::size_t capacity,
                 MemoryBudget& budget, const std::shared_ptr<CancellationToken>& parent)
      : RecordSource(std::move(file), std::move(options), start),
        capacity_(std::max<std::size_t>(capacity, 1)),
        budget_(budget),
        token_(CancellationToken::make(parent)) {
    wake_on_cancel_ = token_->on_cancel([this] {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    });
  }

  ~ThreadedSource() override {
    token_->cancel();
    if (thread_.joinable()) thread_.join();
    std::int64_t held = 0;
    for (const Slot& slot : queue_) held += slot.bytes;
    budget_.release(held);
  }

  void start() override {
    if (!thread_.joinable() && !consumer_done_) thread_ = std::thread([this] { run(); });
  }

  std::optional<Record> next(std::chrono::steady_clock::duration& waited) override {
    if (consumer_done_) return std::nullopt;
    start();
    Slot slot;
    std::shared_ptr<CancellationToken> retry;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty()) {
        const auto begin = std::chrono::steady_clock::now();
        cv_.wait(lock, [&] { return !queue_.empty() || token_->cancelled(); });
        waited += std::chrono::steady_clock::now() - begin;
      }
      SPOOL_CHECK(!queue_.empty(), Cancelled, "tfrecord: reading ", spool::quoted(file_), " was cancelled");
      slot = std::move(queue_.front());
      queue_.pop_front();
      if (queue_.empty()) retry = std::move(budget_wait_);
    }
    cv_.notify_all();
    if (retry) retry->cancel();  // the reader now holds nothing: it may pass the budget
    budget_.release(slot.bytes);
    if (slot.error) {
      consumer_done_ = true;
      std::rethrow_exception(slot.error);
    }
    if (!slot.record) {
      consumer_done_ = true;
      return std::nullopt;
    }
    handed_out(*slot.record);
    return std::move(slot.record);
  }

 private:
  struct Slot {
    std::optional<Record> record;  // none with no error: the end of the file
    std::exception_ptr error;
    std::int64_t bytes = 0;
  };

  // The reader thread: reads ahead while the queue has room; stops after the end, an
  // error, or cancellation.
  void run() {
    try {
      TFRecordReader reader = open();
      for (;;) {
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] { return queue_.size() < capacity_ || token_->cancelled(); });
          if (token_->cancelled()) return;
        }
        Slot slot;
        slot.record = reader.next();
        const bool end = !slot.record;
        if (slot.record) {
          slot.bytes = static_cast<std::int64_t>(slot.record->size());
          if (!acquire_budget(slot.bytes)) return;  // cancelled
        }
        push(std::move(slot));
        if (end) return;
      }
    } catch (...) {
      Slot slot;
      slot.error = std::current_exception();
      push(std::move(slot));
    }
  }

  // Waits for the budget. A queue that holds nothing may always take a record (so the
  // consumer, which waits on this queue, can go on); when the consumer empties the queue
  // while we wait, it cancels our wait and we try again as a queue that holds nothing.
  bool acquire_budget(std::int64_t bytes) {
    for (;;) {
      std::shared_ptr<CancellationToken> retry = CancellationToken::make(token_);
      bool holds_nothing;
      {
        std::lock_guard lock(mu_);
        holds_nothing = queue_.empty();
        budget_wait_ = retry;
      }
      const bool acquired = budget_.acquire(bytes, holds_nothing, *retry);
      {
        std::lock_guard lock(mu_);
        budget_wait_.reset();
      }
      if (acquired) return true;
      if (token_->cancelled()) return false;
    }
  }

  void push(Slot slot) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(slot));
    }
    cv_.notify_all();
  }

  const std::size_t capacity_;
  MemoryBudget& budget_;
  std::shared_ptr<CancellationToken> token_;
  bool consumer_done_ = false;  // consumer thread only

  std::mutex mu_;
  std::condition_variable cv_;  // the consumer: a slot arrived; the reader: room freed; both: cancelled
  std::deque<Slot> queue_;      // guarded by mu_
  std::shared_ptr<CancellationToken> budget_wait_;  // guarded by mu_: cancels the reader's budget wait
  std::thread thread_;
  CancellationToken::Registration wake_on_cancel_;  // last: unregistered before mu_ and cv_ go
};

}  // namespace

std::unique_ptr<RecordSource> make_inline_source(std::string file, RecordOptions options, RecordPosition start) {
  return std::make_unique<InlineSource>(std::move(file), std::move(options), start);
}

std::unique_ptr<RecordSource> make_threaded_source(std::string file, RecordOptions options, RecordPosition start,
                                                   std::size_t capacity, MemoryBudget& budget,
                                                   const std::shared_ptr<CancellationToken>& parent) {
  return std::make_unique<ThreadedSource>(std::move(file), std::move(options), start, capacity, budget, parent);
}

}  // namespace spool::data::detail
