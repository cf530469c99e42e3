// TFRecordWriter: writes records in TensorFlow's TFRecord framing (tfrecord_format.h),
// uncompressed or inside one zlib or gzip stream, to a file or a std::ostream.
//
//   TFRecordWriter writer("train.tfrecord.gz", WriterOptions().compression(Compression::kGzip));
//   writer.write(encode_example(ex));        // std::string_view
//   writer.write(tensor);                    // the bytes of a contiguous Tensor
//   writer.close();                          // throws on failure; the file appears now
//
// A file written to a path appears whole or not at all (unless streaming, see
// WriterOptions::streaming, for readers that follow it): bytes go to a temporary file
// in the same folder, renamed into place by close(). close() throws IoError on
// failure. The destructor closes (commits) on a best-effort basis and never throws;
// if it runs while an exception unwinds the stack, or after discard(), the temporary
// file is removed instead and nothing appears. With write_index(true), close() also
// writes the DALI-format index (record_index.h), atomically too.
// Thread-safety: a writer is used by one thread at a time.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "spool/data/io/compression.h"
#include "spool/data/io/record_index.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

class WriterOptions {
 public:
  // kNone (the default), kZlib or kGzip; kAuto is an InvalidArgument at construction.
  WriterOptions& compression(Compression c) { compression_ = c; return *this; }
  Compression compression() const { return compression_; }

  // zlib level: -1 (zlib's default, 6) or 0..9.
  WriterOptions& compression_level(int level) { level_ = level; return *this; }
  int compression_level() const { return level_; }

  // Bytes collected before a write to the file or stream. Must be > 0.
  WriterOptions& buffer_size(std::size_t n) { buffer_size_ = n; return *this; }
  std::size_t buffer_size() const { return buffer_size_; }

  // Off (the default): a file written to a path appears whole at close(), as above.
  // On: it appears at construction under its final name and grows as records are
  // flushed, for readers that follow it (RecordOptions().follow(true)); it stays
  // locked (flock) until close(), which syncs it, and the released lock tells followers
  // that the stream ended. Records reach followers at flush() (or when the buffer
  // fills). discard() then ends the stream and keeps what was flushed. Only for
  // writers to a path.
  WriterOptions& streaming(bool on) { streaming_ = on; return *this; }
  bool streaming() const { return streaming_; }

  // Write the record index at close(), to index_path() or "<path>.idx". Only for
  // writers to a path.
  WriterOptions& write_index(bool on) { write_index_ = on; return *this; }
  bool write_index() const { return write_index_; }
  WriterOptions& index_path(std::string p) { index_path_ = std::move(p); return *this; }
  const std::string& index_path() const { return index_path_; }

 private:
  Compression compression_ = Compression::kNone;
  int level_ = -1;
  std::size_t buffer_size_ = 256 * 1024;
  bool write_index_ = false;
  bool streaming_ = false;
  std::string index_path_;
};

class TFRecordWriter {
 public:
  // Creates a temporary file beside `path`; throws IoError when that fails.
  explicit TFRecordWriter(const std::string& path, WriterOptions options = {});
  // Writes to `out`, which must outlive the writer (or its close()).
  explicit TFRecordWriter(std::ostream& out, WriterOptions options = {});
  TFRecordWriter(TFRecordWriter&&) noexcept;
  TFRecordWriter& operator=(TFRecordWriter&&) = delete;
  ~TFRecordWriter();

  void write(std::string_view record);
  // The bytes of a contiguous tensor of any dtype.
  void write(const Tensor& record);
  // Pushes everything written so far to the file or stream (a zlib sync flush when
  // compressed), so that a reader sees whole records.
  void flush();
  // Finishes the compressed stream, flushes, and renames the file into place.
  // Idempotent; throws IoError on failure (the temporary file is then removed).
  void close();
  // Drops what was written to a path: no file appears. The writer is then closed.
  void discard() noexcept;

  bool is_open() const;
  std::uint64_t records_written() const { return index_.size(); }
  // Payload bytes, and framed (uncompressed stream) bytes written so far.
  std::uint64_t payload_bytes_written() const { return payload_bytes_; }
  std::uint64_t bytes_written() const { return index_.end_offset(); }
  // The frames written so far (offsets in the uncompressed stream).
  const RecordIndex& index() const { return index_; }
  const std::string& path() const { return path_; }

 private:
  class Sink;
  void append(const void* data, std::size_t n);

  std::string path_;
  WriterOptions options_;
  std::unique_ptr<Sink> sink_;
  int pending_exceptions_ = 0;  // std::uncaught_exceptions() at construction
  std::uint64_t payload_bytes_ = 0;
  RecordIndex index_;
};

}  // namespace spool::data
