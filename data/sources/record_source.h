// Internal: one open file of a TFRecordDataset pass, read on the consumer's thread
// (num_parallel_reads 1) or ahead on a thread of its own into a small bounded queue.
// Not part of the public API.
//
// A source remembers where the next record its consumer will get starts (position()),
// counted from the records handed out, not from what a reader thread has read ahead,
// so saving an iterator needs no pause: resuming opens the file and seeks there.
// Thread-safety: the consumer calls every member from one thread; the reader thread
// of a threaded source is internal.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "spool/data/detail/cancellation.h"
#include "spool/data/detail/memory_budget.h"
#include "spool/data/io/tfrecord_reader.h"

namespace spool::data::detail {

// Where a record starts and the index it will have (TFRecordReader::seek's arguments).
struct RecordPosition {
  std::uint64_t offset = 0;
  std::uint64_t index = 0;
};

class RecordSource {
 public:
  RecordSource(std::string file, RecordOptions options, RecordPosition start)
      : file_(std::move(file)), options_(std::move(options)), position_(start) {}
  virtual ~RecordSource() = default;

  // Begins reading ahead (threaded sources); the inline source reads on demand.
  virtual void start() {}
  // The next record's frame (TFRecordReader::make_record makes it a Record; its storage
  // pointer is valid until the next call), or nullopt at the end of the file. Throws
  // the reader's errors unchanged; after an error the source is finished. `waited` gets
  // the time spent blocked on the reader thread.
  virtual std::optional<RecordFrame> next_frame(std::chrono::steady_clock::duration& waited) = 0;

  const std::string& file() const { return file_; }
  RecordPosition position() const { return position_; }

 protected:
  // A reader at the start position (the open and seek errors are the file's errors).
  TFRecordReader open() const;
  // Records `r` as handed out: the position moves just past its frame.
  void handed_out(const RecordFrame& r);

  const std::string file_;
  const RecordOptions options_;

 private:
  RecordPosition position_;
};

// Reads on the caller's thread.
std::unique_ptr<RecordSource> make_inline_source(std::string file, RecordOptions options, RecordPosition start);

// Reads on its own thread, at most `capacity` chunks ahead (a chunk: up to 64 records
// or 256 KiB, handed over at once), their bytes counted in `budget`. Cancelling
// `parent` (or destroying the source) stops and joins the thread.
std::unique_ptr<RecordSource> make_threaded_source(std::string file, RecordOptions options, RecordPosition start,
                                                   std::size_t capacity, MemoryBudget& budget,
                                                   const std::shared_ptr<CancellationToken>& parent);

}  // namespace spool::data::detail
