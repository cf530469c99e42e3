#include "spool/data/ops/cache_file.h"

#include <filesystem>
#include <string_view>

#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/tensor/error.h"

namespace spool::data::detail {
namespace {

constexpr std::string_view kMagic = "spool.cache";
constexpr std::int64_t kVersion = 1;
enum class Kind : std::int64_t { kHeader, kElement, kTrailer };

// A record: its kind, then the header's magic and version, an element, or the count.
std::string encode(Kind kind, const Element* element = nullptr, std::int64_t count = 0) {
  StateWriter writer;
  writer.write_i64(static_cast<std::int64_t>(kind));
  if (kind == Kind::kHeader) {
    writer.write_string(kMagic);
    writer.write_i64(kVersion);
  } else if (kind == Kind::kElement) {
    writer.write_element(*element);
  } else {
    writer.write_i64(count);
  }
  return std::string(std::move(writer).finish().bytes());
}

class FileCacheIterator : public IteratorBase {
 public:
  FileCacheIterator(const DatasetNode& node, NodePtr input, std::string filename, const IteratorContext& context)
      : IteratorBase(node, context), input_node_(std::move(input)), filename_(std::move(filename)) {}
  ~FileCacheIterator() override {
    if (writer_) writer_->discard();  // an unfinished pass leaves no file
  }

 private:
  enum class Mode : std::int64_t { kUndecided, kRead, kWrite, kPassThrough, kEnded };

  std::optional<Element> get_next() override {
    if (mode_ == Mode::kUndecided) decide();
    switch (mode_) {
      case Mode::kRead:
        return read();
      case Mode::kWrite:
        return write();
      case Mode::kPassThrough:
        return pull(input());
      default:
        return std::nullopt;
    }
  }

  void decide() {
    std::error_code ec;
    if (std::filesystem::exists(filename_, ec)) {
      mode_ = Mode::kRead;
      guarded([&] { open_reader(); });
      return;
    }
    mode_ = Mode::kPassThrough;  // if the file cannot be created: that error, then no cache
    guarded([&] {
      writer_.emplace(filename_);
      writer_->write(encode(Kind::kHeader));
    });
    mode_ = Mode::kWrite;
  }

  void open_reader() {
    reader_.emplace(filename_);
    Record header = next_record("its header");
    StateReader& r = decode(header);
    const bool ok = Kind(r.read_i64()) == Kind::kHeader && r.read_string() == kMagic;
    SPOOL_CHECK(ok, DataLossError, spool::quoted(filename_), " is not a spool cache file");
    const std::int64_t version = r.read_i64();
    SPOOL_CHECK(version == kVersion, DataLossError, spool::quoted(filename_), " is a cache file of version ", version,
                "; this build reads version ", kVersion);
  }

  // The next record; its absence means the file was cut short.
  Record next_record(const char* expected) {
    std::optional<Record> record = reader_->next();
    SPOOL_CHECK(record.has_value(), DataLossError, spool::quoted(filename_), " is incomplete: it ends after ",
                elements_read_, " elements where ", expected, " should follow (delete it to rebuild the cache)");
    return std::move(*record);
  }

  StateReader& decode(const Record& record) {
    decoded_.reset();  // it views decoded_state_
    decoded_state_ = IteratorState::from_bytes(std::string(record.view()),
                                               spool::detail::concat(filename_, " record #", record.index));
    decoded_.emplace(decoded_state_);
    return *decoded_;
  }

  std::optional<Element> read() {
    return guarded([&]() -> std::optional<Element> {
      Record record = next_record("more elements or the trailer");
      StateReader& r = decode(record);
      const auto kind = Kind(r.read_i64());
      if (kind == Kind::kElement) {
        Element e = r.read_element();
        r.finish();
        ++elements_read_;
        return e;
      }
      SPOOL_CHECK(kind == Kind::kTrailer, DataLossError, spool::quoted(filename_), ": record #", record.index,
                  " has kind ", static_cast<std::int64_t>(kind), " where an element or the trailer belongs");
      const std::int64_t count = r.read_i64();
      SPOOL_CHECK(count == elements_read_, DataLossError, spool::quoted(filename_), ": the trailer counts ", count,
                  " elements, the file holds ", elements_read_);
      SPOOL_CHECK(!reader_->next(), DataLossError, spool::quoted(filename_), ": records after the trailer");
      mode_ = Mode::kEnded;
      reader_.reset();
      return std::nullopt;
    });
  }

  std::optional<Element> write() {
    std::optional<Element> e = pull(input());
    guarded([&] {
      if (e) {
        writer_->write(encode(Kind::kElement, &*e));
        ++elements_written_;
        return;
      }
      mode_ = Mode::kEnded;
      writer_->write(encode(Kind::kTrailer, nullptr, elements_written_));
      writer_->close();  // the file appears
      writer_.reset();
    });
    return e;
  }

  // Runs f; a failure with the file (reading, writing) ends its use: the error, with
  // the stage and position, then the end of a read pass, or the rest of the input
  // uncached for a write pass.
  template <typename F>
  auto guarded(F f) -> decltype(f()) {
    try {
      return f();
    } catch (...) {
      const std::int64_t index = mode_ == Mode::kRead ? elements_read_ : elements_written_;
      if (mode_ == Mode::kRead) mode_ = Mode::kEnded;
      if (mode_ == Mode::kWrite) mode_ = Mode::kPassThrough;
      if (writer_) writer_->discard();
      writer_.reset();
      reader_.reset();
      rethrow_with_context(stage_name(), index);
    }
  }

  void save(StateWriter& writer) override {
    writer.write_i64(static_cast<std::int64_t>(mode_));
    if (mode_ == Mode::kRead) {
      writer.write_i64(elements_read_);
      writer.write_u64(reader_->offset());
      writer.write_u64(reader_->records_read());
    }
    if (mode_ == Mode::kWrite || mode_ == Mode::kPassThrough) input().save_state(writer);
  }

  void restore(StateReader& reader) override {
    if (writer_) writer_->discard();
    writer_.reset();
    reader_.reset();
    const std::int64_t mode = reader.read_i64();
    SPOOL_CHECK(mode >= 0 && mode <= static_cast<std::int64_t>(Mode::kEnded), DataLossError, stage_name(),
                ": bad saved mode ", mode);
    mode_ = Mode(mode);
    if (mode_ == Mode::kRead) {
      elements_read_ = reader.read_count("the elements read");
      const std::uint64_t offset = reader.read_u64();
      const std::uint64_t records = reader.read_u64();
      guarded([&] {
        open_reader();
        reader_->seek(offset, records);
      });
    }
    if (mode_ == Mode::kWrite) mode_ = Mode::kPassThrough;  // see cache_file.h
    if (mode_ == Mode::kPassThrough) input().restore_state(reader);
  }

  // The input, made when a pass first needs it (a read pass never does).
  IteratorBase& input() {
    if (!input_) input_ = detail::make_input_iterator(*input_node_, context());
    return *input_;
  }

  const NodePtr input_node_;
  const std::string filename_;
  std::unique_ptr<IteratorBase> input_;
  Mode mode_ = Mode::kUndecided;
  std::optional<TFRecordReader> reader_;  // kRead
  std::int64_t elements_read_ = 0;
  IteratorState decoded_state_;           // the record decoded_ reads
  std::optional<StateReader> decoded_;
  std::optional<TFRecordWriter> writer_;  // kWrite
  std::int64_t elements_written_ = 0;
};

}  // namespace

std::unique_ptr<IteratorBase> make_file_cache_iterator(const DatasetNode& node, const NodePtr& input,
                                                       const std::string& filename, const IteratorContext& context) {
  return std::make_unique<FileCacheIterator>(node, input, filename, context);
}

}  // namespace spool::data::detail
