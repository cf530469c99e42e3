#include "spool/data/io/tfrecord_writer.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <optional>
#include <ostream>
#include <vector>

#include "spool/tensor/atomic_file.h"
#include "spool/data/io/growing_file.h"
#include "spool/data/io/tfrecord_format.h"

namespace spool::data {

// Where framed bytes go: staged in a buffer, deflated when compressed, then written
// to the temporary file or the caller's stream.
class TFRecordWriter::Sink {
 public:
  // Writes to a temporary file that becomes `name` at close() when out is null.
  Sink(std::ostream* out, const WriterOptions& options, std::string name)
      : out_(out), compression_(options.compression()), name_(std::move(name)) {
    if (out_ == nullptr && options.streaming()) {
      growing_.emplace(name_);
    } else if (out_ == nullptr) {
      file_.emplace(name_);
    }
    staged_.reserve(options.buffer_size());
    if (compression_ != Compression::kNone) {
      const int window_bits = compression_ == Compression::kGzip ? 16 + MAX_WBITS : MAX_WBITS;
      const int ret = deflateInit2(&zs_, options.compression_level(), Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
      SPOOL_CHECK(ret == Z_OK, InvalidArgument, "TFRecordWriter: zlib rejected compression level ",
                  options.compression_level(), " for ", quoted(name_));
      deflating_ = true;
      compressed_.resize(std::max<std::size_t>(options.buffer_size(), 4096));
    }
  }
  ~Sink() {
    if (deflating_) deflateEnd(&zs_);
  }

  void append(const void* data, std::size_t n) {
    if (staged_.size() + n <= staged_.capacity()) {
      const auto* p = static_cast<const std::byte*>(data);
      staged_.insert(staged_.end(), p, p + n);
      return;
    }
    drain_staged(Z_NO_FLUSH);
    if (n < staged_.capacity()) {
      append(data, n);
    } else {
      emit(data, n, Z_NO_FLUSH);  // large payloads skip the staging copy
    }
  }

  // Z_NO_FLUSH writes what is staged; Z_SYNC_FLUSH also pushes zlib's pending bytes;
  // Z_FINISH ends the compressed stream.
  void flush(int mode) {
    drain_staged(mode);
    if (out_ != nullptr) {
      out_->flush();
      SPOOL_CHECK(out_->good(), IoError, "cannot flush stream ", quoted(name_));
    }
  }

  void close() {
    flush(Z_FINISH);
    if (file_) file_->commit();
    if (growing_) growing_->close();
  }

  void discard() noexcept {
    if (file_) file_->discard();
    growing_.reset();  // followers see the stream end where the last flush left it
  }

 private:
  void drain_staged(int mode) {
    if (!staged_.empty() || mode != Z_NO_FLUSH) emit(staged_.data(), staged_.size(), mode);
    staged_.clear();
  }

  void emit(const void* data, std::size_t n, int mode) {
    if (compression_ == Compression::kNone) {
      write_out(data, n);
      return;
    }
    zs_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    std::size_t left = n;
    do {
      const auto chunk = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
      zs_.avail_in = chunk;
      const bool last = chunk == left;
      int ret = Z_OK;
      do {  // until zlib has taken this chunk (and, when flushing, given everything back)
        zs_.next_out = reinterpret_cast<Bytef*>(compressed_.data());
        zs_.avail_out = static_cast<uInt>(compressed_.size());
        ret = deflate(&zs_, last ? mode : Z_NO_FLUSH);
        SPOOL_CHECK(ret != Z_STREAM_ERROR, InternalError, "deflate failed for ", quoted(name_));
        write_out(compressed_.data(), compressed_.size() - zs_.avail_out);
      } while (zs_.avail_in > 0 || zs_.avail_out == 0);
      left -= chunk;
    } while (left > 0);
  }

  void write_out(const void* data, std::size_t n) {
    if (n == 0) return;
    if (file_) {
      file_->write(data, n);
      return;
    }
    if (growing_) {
      growing_->write(data, n);
      return;
    }
    out_->write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    SPOOL_CHECK(out_->good(), IoError, "cannot write to stream ", quoted(name_));
  }

  std::optional<spool::detail::AtomicFile> file_;
  std::optional<detail::GrowingFile> growing_;
  std::ostream* out_;
  Compression compression_;
  std::string name_;
  std::vector<std::byte> staged_;
  std::vector<std::byte> compressed_;
  z_stream zs_{};
  bool deflating_ = false;
};

namespace {
void check_options(const WriterOptions& options) {
  SPOOL_CHECK(options.compression() != Compression::kAuto, InvalidArgument,
              "TFRecordWriter: compression must be none, zlib or gzip, not auto");
  SPOOL_CHECK(options.buffer_size() > 0, InvalidArgument, "TFRecordWriter: buffer_size must be > 0");
  SPOOL_CHECK(options.compression_level() >= -1 && options.compression_level() <= 9, InvalidArgument,
              "TFRecordWriter: compression level ", options.compression_level(), " outside [-1, 9]");
}
}  // namespace

TFRecordWriter::TFRecordWriter(const std::string& path, WriterOptions options)
    : path_(path), options_(std::move(options)), pending_exceptions_(std::uncaught_exceptions()) {
  check_options(options_);
  sink_ = std::make_unique<Sink>(nullptr, options_, path_);
}

TFRecordWriter::TFRecordWriter(std::ostream& out, WriterOptions options)
    : path_("<stream>"), options_(std::move(options)), pending_exceptions_(std::uncaught_exceptions()) {
  check_options(options_);
  SPOOL_CHECK(!options_.write_index() || !options_.index_path().empty(), InvalidArgument,
              "TFRecordWriter: write_index to a stream needs an index_path");
  sink_ = std::make_unique<Sink>(&out, options_, path_);
}

TFRecordWriter::TFRecordWriter(TFRecordWriter&&) noexcept = default;

TFRecordWriter::~TFRecordWriter() {
  if (!sink_) return;
  if (std::uncaught_exceptions() > pending_exceptions_) {
    discard();  // unwinding: a half-written file must not appear
    return;
  }
  try {
    close();
  } catch (...) {  // best effort: a destructor never throws; call close() to see errors
  }
}

bool TFRecordWriter::is_open() const { return sink_ != nullptr; }

void TFRecordWriter::write(std::string_view record) {
  SPOOL_CHECK(sink_, IoError, "TFRecordWriter: write to ", quoted(path_), " after close()");
  std::byte header[tfrecord::kHeaderSize];
  std::byte footer[tfrecord::kFooterSize];
  tfrecord::encode_header(record.size(), header);
  tfrecord::encode_footer(record.data(), record.size(), footer);
  const std::uint64_t offset = index_.end_offset();
  sink_->append(header, sizeof header);
  sink_->append(record.data(), record.size());
  sink_->append(footer, sizeof footer);
  index_.append({offset, record.size() + tfrecord::kFrameOverhead});
  payload_bytes_ += record.size();
}

void TFRecordWriter::write(const Tensor& record) {
  const std::span<const std::uint8_t> bytes = record.bytes();
  write(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void TFRecordWriter::flush() {
  SPOOL_CHECK(sink_, IoError, "TFRecordWriter: flush of ", quoted(path_), " after close()");
  sink_->flush(options_.compression() == Compression::kNone ? Z_NO_FLUSH : Z_SYNC_FLUSH);
}

void TFRecordWriter::close() {
  if (!sink_) return;
  std::unique_ptr<Sink> sink = std::move(sink_);  // closed from here on, even if this throws
  sink->close();
  if (options_.write_index()) {
    index_.save(options_.index_path().empty() ? RecordIndex::default_path(path_) : options_.index_path());
  }
}

void TFRecordWriter::discard() noexcept {
  if (!sink_) return;
  sink_->discard();
  sink_.reset();
}

}  // namespace spool::data
