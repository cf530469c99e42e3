// TFRecordDataset: a cycle of num_parallel_reads open files over the stream of file
// names, visited in turn as tf.data's interleave(cycle_length, block_length=1) does:
// the cursor takes one record from its file and moves on; a file that ends leaves its
// place empty, and an empty place takes the next file name. Refilling an empty place
// as soon as it empties (instead of when the cursor reaches it) pulls the names in the
// same order, so the output is the same, and it lets the new file's thread start early.
#include "spool/data/sources/tfrecord_dataset.h"

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <span>

#include "spool/data/sources/list_files.h"
#include "spool/data/sources/record_source.h"
#include "spool/tensor/error.h"

namespace spool::data {
namespace {

constexpr std::size_t kReadAhead = 4;  // chunks (of up to 64 records or 256 KiB) a reader thread may hold

class TFRecordNode : public detail::DatasetNode {
 public:
  TFRecordNode(detail::NodePtr filenames, RecordOptions options, std::int64_t parallel, std::int64_t cardinality)
      : filenames_(std::move(filenames)), options_(std::move(options)), parallel_(parallel), cardinality_(cardinality) {
    SPOOL_CHECK(parallel_ >= 1, InvalidArgument, "TFRecordDataset: num_parallel_reads must be >= 1, got ", parallel_);
  }
  std::string name() const override { return "tfrecord"; }
  std::int64_t cardinality() const override { return cardinality_; }
  std::vector<detail::NodePtr> inputs() const override { return {filenames_}; }
  detail::NodePtr with_inputs(std::vector<detail::NodePtr> in) const override;
  std::unique_ptr<detail::IteratorBase> make_iterator(const detail::IteratorContext& context) const override;

  const detail::NodePtr filenames_;
  const RecordOptions options_;
  const std::int64_t parallel_;
  const std::int64_t cardinality_;
};

class TFRecordIterator : public detail::IteratorBase {
 public:
  TFRecordIterator(const TFRecordNode& node, const detail::IteratorContext& context)
      : IteratorBase(node, context),
        token_(detail::CancellationToken::make(context.cancel)),
        names_(detail::make_input_iterator(*node.filenames_, context.with_cancel(token_))),
        options_(node.options_),
        slots_(static_cast<std::size_t>(node.parallel_)) {
    options_.build_index(false);  // a stream never asks its readers for their index
    // Skipped corruptions count as this stage's skipped errors, besides the caller's
    // callback, which reader threads call one at a time (the caller's code need not
    // be thread-safe).
    options_.on_corruption([this, user = node.options_.on_corruption()](const CorruptionReport& report) {
      add_skipped_error();
      if (!user) return;
      std::lock_guard lock(callback_mu_);
      user(report);
    });
  }
  ~TFRecordIterator() override {
    token_->cancel();  // wakes every reader thread before the sources join them
    slots_.clear();
  }

 private:
  std::optional<Element> get_next() override {
    start_once();
    for (;;) {
      bool any_open = false;
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        const std::size_t k = (cursor_ + i) % slots_.size();
        if (!slots_[k]) refill(k);
        any_open = any_open || slots_[k] != nullptr;
      }
      if (!any_open) return std::nullopt;
      std::unique_ptr<detail::RecordSource>& slot = slots_[cursor_];
      advance();  // whatever this place gives (a record, its end, an error, nothing), the cursor moves on
      if (!slot) continue;
      std::chrono::steady_clock::duration waited{};
      const std::optional<RecordFrame> frame = next_frame_of(slot, waited);
      add_wait(waited);
      if (frame) return Element(TFRecordReader::make_record(*frame).data);
      slot.reset();
    }
  }

  void start_once() {
    if (started_) return;
    started_ = true;
    for (auto& slot : slots_) {
      if (slot) slot->start();
    }
  }

  // slot->next_frame(); an error abandons the file (the next call goes on with the
  // next one) and passes on, its waiting counted.
  std::optional<RecordFrame> next_frame_of(std::unique_ptr<detail::RecordSource>& slot,
                                           std::chrono::steady_clock::duration& waited) {
    try {
      return slot->next_frame(waited);
    } catch (...) {
      add_wait(waited);
      slot.reset();
      throw;
    }
  }

  // One file at a time: the records' views straight from the source's frames, with no
  // Tensor or Element per record (with parallel reads, the cycle above, via elements).
  std::size_t get_next_views(std::size_t n, detail::RecordViews& out) override {
    if (slots_.size() != 1) return IteratorBase::get_next_views(n, out);
    start_once();
    std::size_t got = 0;
    std::chrono::steady_clock::duration waited{};
    while (got < n) {
      if (!slots_[0]) refill(0);
      std::unique_ptr<detail::RecordSource>& slot = slots_[0];
      if (!slot) break;
      const std::optional<RecordFrame> frame = next_frame_of(slot, waited);
      if (!frame) {
        slot.reset();
        continue;
      }
      const std::shared_ptr<Storage>& storage = *frame->storage;
      if (out.buffers.empty() || out.buffers.back() != storage) out.buffers.push_back(storage);
      out.records.emplace_back(reinterpret_cast<const char*>(storage->data()) + frame->begin,
                               static_cast<std::size_t>(frame->length));
      ++got;
    }
    add_wait(waited);
    return got;
  }

  void advance() { cursor_ = (cursor_ + 1) % slots_.size(); }

  // Opens the next file name into empty place k, if there is one.
  void refill(std::size_t k) {
    if (names_done_) return;
    std::optional<Element> name = pull(*names_);
    if (!name) {
      names_done_ = true;
      return;
    }
    SPOOL_CHECK(name->size() == 1 && (*name)[0].dtype() == DType::kU8 && (*name)[0].rank() == 1, InvalidArgument,
                "TFRecordDataset: a file name must be one 1-D u8 tensor, got ", describe_structure(*name));
    slots_[k] = open(std::string((*name)[0].as_string_view()), {});
    slots_[k]->start();
  }

  std::unique_ptr<detail::RecordSource> open(std::string file, detail::RecordPosition at) {
    if (slots_.size() == 1) return detail::make_inline_source(std::move(file), options_, at);
    return detail::make_threaded_source(std::move(file), options_, at, kReadAhead, budget(), token_);
  }

  void save(StateWriter& writer) override {
    writer.write_u64(slots_.size());
    writer.write_u64(cursor_);
    writer.write_bool(names_done_);
    for (const auto& slot : slots_) {
      writer.write_bool(slot != nullptr);
      if (!slot) continue;
      writer.write_string(slot->file());
      writer.write_u64(slot->position().offset);
      writer.write_u64(slot->position().index);
    }
    names_->save_state(writer);
  }

  void restore(StateReader& reader) override {
    const std::uint64_t n = reader.read_u64();
    SPOOL_CHECK(n == slots_.size(), InvalidArgument, "tfrecord: the iterator state reads ", n,
                " files at a time where this dataset reads ", slots_.size());
    cursor_ = reader.read_u64();
    SPOOL_CHECK(cursor_ < n, DataLossError, "tfrecord: saved cursor ", cursor_, " is outside [0, ", n, ")");
    names_done_ = reader.read_bool();
    for (auto& slot : slots_) {
      slot.reset();
      if (!reader.read_bool()) continue;
      std::string file = reader.read_string();
      // A state is outside bytes and may name any path: reopen only a regular file, so
      // that a crafted state cannot leave the reader waiting on a FIFO or a terminal.
      std::error_code ec;
      SPOOL_CHECK(std::filesystem::is_regular_file(file, ec), DataLossError, "tfrecord: the iterator state names ",
                  spool::quoted(file), ", which is not a regular file");
      detail::RecordPosition at;
      at.offset = reader.read_u64();
      at.index = reader.read_u64();
      slot = open(std::move(file), at);  // its thread starts with the first get_next
    }
    names_->restore_state(reader);
  }

  std::mutex callback_mu_;  // held while the caller's on_corruption callback runs
  std::shared_ptr<detail::CancellationToken> token_;
  std::unique_ptr<detail::IteratorBase> names_;
  RecordOptions options_;
  std::vector<std::unique_ptr<detail::RecordSource>> slots_;  // the cycle; null: an empty place
  std::size_t cursor_ = 0;
  bool names_done_ = false;
  bool started_ = false;
};

std::unique_ptr<detail::IteratorBase> TFRecordNode::make_iterator(const detail::IteratorContext& context) const {
  return std::make_unique<TFRecordIterator>(*this, context);
}

// What kAuto resolves to for `file` (kNone when it cannot be read: the reader will say why).
Compression resolved_compression(const std::string& file, Compression requested) {
  if (requested != Compression::kAuto) return requested;
  std::ifstream in(file, std::ios::binary);
  std::array<char, kDetectBytes> head{};
  in.read(head.data(), head.size());
  return detect_compression(std::as_bytes(std::span<const char>(head.data(), static_cast<std::size_t>(in.gcount()))));
}

// The record count `<file>.idx` gives, when it loads and (for an uncompressed file,
// where it can be checked) its last frame ends where the file does. A compressed
// file's index is trusted.
std::optional<std::uint64_t> indexed_count(const std::string& file, const RecordOptions& options) {
  std::error_code ec;
  const std::string index_path = RecordIndex::default_path(file);
  if (!std::filesystem::is_regular_file(index_path, ec)) return std::nullopt;
  RecordIndex index;
  try {
    index = RecordIndex::load(index_path);
  } catch (const Error&) {
    return std::nullopt;
  }
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return std::nullopt;
  if (resolved_compression(file, options.compression()) == Compression::kNone && index.end_offset() != size) {
    return std::nullopt;
  }
  return index.size();
}

// The records of `files` when every one has a complete index.
std::int64_t indexed_cardinality(const std::vector<std::string>& files, const RecordOptions& options) {
  std::int64_t cardinality = 0;
  for (const std::string& file : files) {
    const std::optional<std::uint64_t> count = indexed_count(file, options);
    if (!count) return kUnknownCardinality;
    cardinality += static_cast<std::int64_t>(*count);
  }
  return cardinality;
}

// A known cardinality is counted again over the new input's files: auto_shard gives
// the reader a share of them.
detail::NodePtr TFRecordNode::with_inputs(std::vector<detail::NodePtr> in) const {
  const std::optional<detail::FileList> files = in[0]->file_list();
  const std::int64_t n = cardinality_ >= 0 && files ? indexed_cardinality(files->paths, options_) : kUnknownCardinality;
  return std::make_shared<TFRecordNode>(in[0], options_, parallel_, n);
}

}  // namespace

Dataset TFRecordDataset(std::vector<std::string> files, RecordOptions options, std::int64_t num_parallel_reads) {
  const std::int64_t cardinality = indexed_cardinality(files, options);
  return Dataset(std::make_shared<TFRecordNode>(file_names(std::move(files)).node(), std::move(options),
                                                num_parallel_reads, cardinality));
}

Dataset TFRecordDataset(const Dataset& filenames, RecordOptions options, std::int64_t num_parallel_reads) {
  return Dataset(std::make_shared<TFRecordNode>(filenames.node(), std::move(options), num_parallel_reads,
                                                kUnknownCardinality),
                 filenames.options());
}

}  // namespace spool::data
