// TFRecordReader: reads the records of a TFRecord file, buffer or stream, exactly as
// TensorFlow frames them (see tfrecord_format.h), checking both CRCs of every record.
//
//   TFRecordReader reader("train-00003.tfrecord");            // buffered, kAuto compression
//   while (std::optional<Record> r = reader.next()) {
//     consume(r->data.as_string_view());                       // no copy
//   }
//   reader.index().size();                                     // the record count, for free
//
// next() returns std::nullopt at the clean end of the stream and throws DataLossError
// for corrupt or truncated bytes (unless the corruption policy skips them; every skip
// is reported, see record_options.h). The message names the file, the record index and
// the byte offset of the frame header in the uncompressed stream:
//   tfrecord: data crc mismatch in 'train-00003.tfrecord' at record #1742 (offset 8391204)
// End of stream exactly between two frames is the clean end; a partial header or a
// partial record is an error, as in TensorFlow's RecordReader.
//
// Lifetimes: a Record's Tensor keeps its bytes alive: it views the mapped file, the
// caller's buffer, or a read buffer of the reader, and owns a share of it. The reader
// never overwrites bytes a live Record views (a still-referenced read buffer is left
// to its Records and a fresh one allocated), so Records stay valid after later next()
// calls and after the reader is destroyed. A stream passed by reference must outlive
// the reader.
//
// Compressed input up to RecordOptions::whole_inflate_limit is inflated in one go
// (libdeflate); larger input streams through zlib with a bounded buffer. A length read
// from the input never drives an allocation larger than the input can still hold
// (checked against the remaining size when known, otherwise the buffer grows only as
// bytes arrive). Offsets are 64-bit throughout: files above 4 GiB work.
// Thread-safety: a reader is used by one thread at a time; distinct readers are
// independent. Records may be handed to other threads freely.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spool/data/io/compression.h"
#include "spool/data/io/record_index.h"
#include "spool/data/io/record_options.h"
#include "spool/tensor/tensor.h"

namespace spool::data {

namespace detail {
class ByteSource;
class ReadBufferPool;
}

struct Record {
  Tensor data;               // 1-D u8, the payload (a view; see the lifetime note above)
  std::uint64_t offset = 0;  // of the frame header, in the uncompressed stream
  std::uint64_t index = 0;   // 0-based position among the records this file yielded
  std::string_view view() const { return data.as_string_view(); }
  std::uint64_t size() const { return static_cast<std::uint64_t>(data.numel()); }
};

// A record's place in the reader's bytes, without the Tensor that Record makes of it
// (for code that moves records between threads: see next_frame()).
struct RecordFrame {
  const std::shared_ptr<Storage>* storage = nullptr;  // holds the payload; valid until the next call
  std::size_t begin = 0;     // of the payload within *storage
  std::uint64_t length = 0;  // of the payload
  std::uint64_t offset = 0;  // as Record::offset
  std::uint64_t index = 0;   // as Record::index
};

class TFRecordReader {
 public:
  // Opens `path`. Throws IoError when it cannot be opened or mapped.
  explicit TFRecordReader(const std::string& path, RecordOptions options = {});
  // Reads `in` from its current position; `in` must outlive the reader. Backward
  // seeks need a seekable stream.
  explicit TFRecordReader(std::istream& in, RecordOptions options = {});
  // Reads the bytes of a contiguous tensor (any dtype), without copying them.
  static TFRecordReader from_buffer(Tensor bytes, RecordOptions options = {});
  // Takes the string; records view it.
  static TFRecordReader from_string(std::string bytes, RecordOptions options = {});

  TFRecordReader(TFRecordReader&&) noexcept;
  TFRecordReader& operator=(TFRecordReader&&) noexcept;
  ~TFRecordReader();

  // The next record, or nullopt at the end. Throws DataLossError (policy kFail), or
  // IoError when the operating system fails a read.
  std::optional<Record> next() {
    const std::optional<RecordFrame> frame = next_frame();
    if (!frame) return std::nullopt;
    return make_record(*frame);
  }
  // next() without making the Tensor: copy *storage to keep the bytes, and turn the
  // frame into a Record with make_record() (on any thread). A reader thread that hands
  // records to another thread this way leaves every allocation of the Tensor to the
  // thread that also frees it, where glibc's per-thread cache serves both.
  std::optional<RecordFrame> next_frame();
  static Record make_record(const RecordFrame& frame) {
    return Record{Tensor(*frame.storage, DType::kU8, Shape{static_cast<std::int64_t>(frame.length)},
                         static_cast<std::int64_t>(frame.begin)),
                  frame.offset, frame.index};
  }

  // Positions the reader at the frame header at `offset` of the uncompressed stream,
  // which will be yielded as record `record_index` (from a RecordIndex). Uncompressed
  // files and buffers jump directly; a compressed input or an unseekable stream moves
  // forward by decompressing (reading) and discarding, and backward by restarting from
  // the beginning. Throws OutOfRange past the end of the stream.
  void seek(std::uint64_t offset, std::uint64_t record_index);
  // seek(index.at(i).offset, i) then next(); throws DataLossError when the frame found
  // there does not match the entry (a stale index), OutOfRange for i >= index.size().
  Record read_at(const RecordIndex& index, std::size_t i);

  // Every corruption skipped over the reader's life, seeks included (empty under
  // kFail: that throws instead).
  const std::vector<CorruptionReport>& corruptions() const { return corruptions_; }

  // One entry per record next() has returned while reading sequentially from the
  // start: entry i is the frame of record #i. Skipped corrupt stretches have no entry
  // (so record indices count good records only; corruptions() holds the rest). A
  // seek() elsewhere than (0, 0) stops the building; seek(0, 0) restarts it. Always
  // empty under RecordOptions().build_index(false).
  const RecordIndex& index() const { return index_; }
  // True once next() has returned nullopt after reading sequentially from the start:
  // at the end of the stream, or where kSkipFile (or a broken compressed stream under a
  // skip policy) stopped. index() then lists every good record read, and
  // index().size() is the count; corruptions() says what was left out.
  bool index_complete() const { return index_complete_; }

  const std::string& name() const { return name_; }
  // The compression in use (kAuto resolved from the first bytes).
  Compression compression() const { return compression_; }
  // Records returned so far, and the uncompressed offset of the next frame.
  std::uint64_t records_read() const { return records_read_; }
  std::uint64_t offset() const { return pos_; }

 private:
  struct BufferTag {};
  TFRecordReader(BufferTag, std::shared_ptr<Storage> storage, std::size_t begin, std::size_t size,
                 RecordOptions options);
  void open_stream(std::unique_ptr<detail::ByteSource> raw);
  void open_memory(std::shared_ptr<Storage> storage, std::size_t begin, std::size_t size);
  // Inflates `compressed` whole into buf_ (RecordOptions::whole_inflate_limit); false
  // when it does not fit or libdeflate refuses it, and the caller streams it instead.
  bool open_inflated(std::span<const std::byte> compressed);
  std::uint64_t whole_inflate_limit() const;

  // Makes n bytes from pos_ contiguous at *data; returns how many there are (fewer
  // only at the end of the stream).
  std::uint64_t ensure(std::uint64_t n, const std::byte** data);
  std::uint64_t ensure_stream(std::uint64_t n);
  void populate(std::uint64_t until);
  void advance(std::uint64_t n);
  std::optional<std::uint64_t> remaining() const;
  void move_forward(std::uint64_t n);
  RecordFrame frame_of(std::uint64_t start, std::uint64_t length) const;
  // Under kFail throws; otherwise skips (to resume_at and on to the next valid header,
  // or to the end for kSkipFile) and reports.
  void corruption(std::uint64_t start, const std::string& what, const std::string& tail, std::uint64_t resume_at);
  void stream_broken(std::uint64_t start, const std::string& what, std::uint64_t broke_at);
  void resynchronise(std::uint64_t from);
  std::uint64_t skip_rest();
  void report(std::uint64_t offset, std::uint64_t skipped, std::string reason, std::string what);
  std::string message(const std::string& what, std::uint64_t offset, const std::string& tail) const;
  void finish();

  std::string name_;
  RecordOptions options_;
  Compression compression_ = Compression::kNone;

  // Whole-stream mode (mapped file or caller's buffer): all bytes at base_.
  std::shared_ptr<Storage> whole_;
  const std::byte* base_ = nullptr;
  std::size_t base_begin_ = 0;  // offset of base_ within whole_
  std::uint64_t size_ = 0;
  std::uint64_t populated_ = UINT64_MAX;  // mapped pages prefaulted up to here (MAX: off)

  // Streaming mode: source_ feeds buf_; bytes [begin_, end_) of buf_ start at pos_.
  std::unique_ptr<detail::ByteSource> source_;
  std::shared_ptr<Storage> buf_;
  std::shared_ptr<detail::ReadBufferPool> pool_;  // recycles buffers whose records are gone
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool source_eof_ = false;
  std::optional<std::uint64_t> stream_size_;  // source_->size() of an uncompressed stream, read once

  std::uint64_t pos_ = 0;
  std::uint64_t next_index_ = 0;
  std::uint64_t records_read_ = 0;
  bool done_ = false;
  bool building_index_ = true;
  bool index_complete_ = false;
  RecordIndex index_;
  std::vector<CorruptionReport> corruptions_;
};

}  // namespace spool::data
