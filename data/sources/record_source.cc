#include "spool/data/sources/record_source.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "spool/data/io/tfrecord_format.h"
#include "spool/tensor/error.h"

namespace spool::data::detail {

TFRecordReader RecordSource::open() const {
  TFRecordReader reader(file_, options_);
  if (position_.offset != 0 || position_.index != 0) reader.seek(position_.offset, position_.index);
  return reader;
}

void RecordSource::handed_out(const RecordFrame& r) {
  position_ = {r.offset + tfrecord::kFrameOverhead + r.length, r.index + 1};
}

namespace {

class InlineSource final : public RecordSource {
 public:
  using RecordSource::RecordSource;

  std::optional<RecordFrame> next_frame(std::chrono::steady_clock::duration&) override {
    if (done_) return std::nullopt;
    std::optional<RecordFrame> r;
    try {
      if (!reader_) reader_.emplace(open());
      r = reader_->next_frame();
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

// The reader thread hands records over in chunks: one lock, one wake-up and one budget
// call per chunk instead of per record. Handing over single records through a mutex
// and a condition variable costs a futex wake-up each time, many times the cost of
// reading the record (bench_pipeline tfrecord_parse_batch reads through this source).
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
    for (const Chunk& chunk : queue_) held += chunk.bytes;
    budget_.release(held);
  }

  void start() override {
    if (!thread_.joinable() && !consumer_done_) thread_ = std::thread([this] { run(); });
  }

  std::optional<RecordFrame> next_frame(std::chrono::steady_clock::duration& waited) override {
    for (;;) {
      if (consumer_done_) return std::nullopt;
      if (taken_ < current_.frames.size()) {
        const Frame& f = current_.frames[taken_++];
        const RecordFrame r{&current_.storages[f.storage], f.begin, f.length, f.offset, f.index};
        handed_out(r);
        return r;
      }
      if (current_.error) {
        consumer_done_ = true;
        std::rethrow_exception(current_.error);
      }
      if (current_.end) {
        consumer_done_ = true;
        return std::nullopt;
      }
      take_chunk(waited);
    }
  }

 private:
  // A record as the reader thread leaves it: its Tensor is made on the consumer's
  // thread, which also frees it (allocations that cross threads miss glibc's per-thread
  // cache and contend for the reader's arena lock: that cost more than the reading).
  struct Frame {
    std::uint32_t storage;  // index into Chunk::storages
    std::size_t begin;
    std::uint64_t length, offset, index;
  };
  // Records in file order; then, possibly, the end of the file or the error that ended it.
  struct Chunk {
    std::vector<std::shared_ptr<Storage>> storages;  // the read buffers the frames view
    std::vector<Frame> frames;
    std::exception_ptr error;
    bool end = false;
    std::int64_t bytes = 0;  // of the records, held in the budget while queued
  };
  // A chunk closes at this many records or bytes. Not earlier when the consumer waits:
  // a consumer as fast as the reader then waits for every record, a futex wake-up each.
  static constexpr std::size_t kChunkRecords = 64;
  static constexpr std::int64_t kChunkBytes = 256 * 1024;

  // Replaces the consumed chunk with the next one, waiting for it.
  void take_chunk(std::chrono::steady_clock::duration& waited) {
    start();
    std::shared_ptr<CancellationToken> retry;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty()) {
        const auto begin = std::chrono::steady_clock::now();
        cv_.wait(lock, [&] { return !queue_.empty() || token_->cancelled(); });
        waited += std::chrono::steady_clock::now() - begin;
      }
      SPOOL_CHECK(!queue_.empty(), Cancelled, "tfrecord: reading ", spool::quoted(file_), " was cancelled");
      current_ = std::move(queue_.front());
      queue_.pop_front();
      if (queue_.empty()) retry = std::move(budget_wait_);
      if (reader_waiting_) cv_.notify_all();
    }
    taken_ = 0;
    if (retry) retry->cancel();  // the reader now holds nothing: it may pass the budget
    // The consumer's current chunk is outside the budget, as an element a stage hands on.
    budget_.release(current_.bytes);
  }

  // The reader thread: reads ahead while the queue has room; stops after the end, an
  // error, or cancellation. Records read before an error reach the consumer first.
  void run() {
    Chunk chunk;
    try {
      TFRecordReader reader = open();
      for (;;) {
        if (!wait_for_room()) return;
        chunk.frames.reserve(kChunkRecords);
        while (chunk.frames.size() < kChunkRecords && chunk.bytes < kChunkBytes) {
          const std::optional<RecordFrame> r = reader.next_frame();
          if (!r) {
            chunk.end = true;
            break;
          }
          if (chunk.storages.empty() || chunk.storages.back() != *r->storage) chunk.storages.push_back(*r->storage);
          chunk.bytes += static_cast<std::int64_t>(r->length);
          chunk.frames.push_back(Frame{static_cast<std::uint32_t>(chunk.storages.size() - 1), r->begin, r->length,
                                       r->offset, r->index});
        }
        const bool end = chunk.end;
        if (!acquire_budget(chunk.bytes)) return;  // cancelled
        push(std::exchange(chunk, Chunk{}));
        if (end) return;
      }
    } catch (...) {
      chunk.error = std::current_exception();
      if (!acquire_budget(chunk.bytes)) return;
      push(std::move(chunk));
    }
  }

  // Waits until the queue has room for another chunk; false when cancelled.
  bool wait_for_room() {
    std::unique_lock lock(mu_);
    reader_waiting_ = true;
    cv_.wait(lock, [&] { return queue_.size() < capacity_ || token_->cancelled(); });
    reader_waiting_ = false;
    return !token_->cancelled();
  }

  // Waits for the budget. A queue that holds nothing may always take a chunk (so the
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

  void push(Chunk chunk) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(chunk));
    cv_.notify_all();
  }

  const std::size_t capacity_;  // chunks
  MemoryBudget& budget_;
  std::shared_ptr<CancellationToken> token_;
  // Consumer thread only: the chunk being handed out, record by record.
  Chunk current_;
  std::size_t taken_ = 0;
  bool consumer_done_ = false;

  std::mutex mu_;
  std::condition_variable cv_;  // the consumer: a chunk arrived; the reader: room freed; both: cancelled
  std::deque<Chunk> queue_;     // guarded by mu_
  bool reader_waiting_ = false;  // guarded by mu_
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
