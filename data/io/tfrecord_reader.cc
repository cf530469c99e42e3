#include "spool/data/io/tfrecord_reader.h"

#include <algorithm>
#include <cstring>
#include <istream>

#include "spool/data/io/byte_source.h"
#include "spool/data/io/inflate_whole.h"
#include "spool/data/io/read_buffer_pool.h"
#include "spool/data/io/tfrecord_format.h"

namespace spool::data {

using tfrecord::kFrameOverhead;
using tfrecord::kHeaderSize;

TFRecordReader::TFRecordReader(const std::string& path, RecordOptions options)
    : name_(path), options_(std::move(options)) {
  SPOOL_CHECK(options_.buffer_size() > 0, InvalidArgument, "RecordOptions: buffer_size must be > 0");
  building_index_ = options_.build_index();
  if (options_.follow()) {
    open_stream(detail::open_file_source(path, options_.follow_idle_timeout()));
  } else if (options_.use_mmap()) {
    std::shared_ptr<Storage> mapped = detail::map_file(path);
    const std::size_t size = mapped->size();
    open_memory(std::move(mapped), 0, size);
    if (base_ != nullptr) populated_ = 0;  // a mapping of ours: populate it ahead
  } else {
    open_stream(detail::open_file_source(path));
  }
}

TFRecordReader::TFRecordReader(std::istream& in, RecordOptions options)
    : name_(options.name().empty() ? "<stream>" : options.name()), options_(std::move(options)) {
  SPOOL_CHECK(options_.buffer_size() > 0, InvalidArgument, "RecordOptions: buffer_size must be > 0");
  building_index_ = options_.build_index();
  open_stream(detail::make_istream_source(in, name_));
}

TFRecordReader::TFRecordReader(BufferTag, std::shared_ptr<Storage> storage, std::size_t begin, std::size_t size,
                               RecordOptions options)
    : name_(options.name().empty() ? "<buffer>" : options.name()), options_(std::move(options)) {
  SPOOL_CHECK(options_.buffer_size() > 0, InvalidArgument, "RecordOptions: buffer_size must be > 0");
  building_index_ = options_.build_index();
  open_memory(std::move(storage), begin, size);
}

TFRecordReader TFRecordReader::from_buffer(Tensor bytes, RecordOptions options) {
  SPOOL_CHECK(bytes.defined() && bytes.is_contiguous(), InvalidArgument,
              "TFRecordReader::from_buffer needs a defined, contiguous tensor");
  const std::size_t es = bytes.element_size();
  return TFRecordReader(BufferTag{}, bytes.storage(), static_cast<std::size_t>(bytes.offset()) * es,
                        static_cast<std::size_t>(bytes.numel()) * es, std::move(options));
}

TFRecordReader TFRecordReader::from_string(std::string bytes, RecordOptions options) {
  auto holder = std::make_shared<std::string>(std::move(bytes));
  const std::size_t size = holder->size();
  void* data = holder->data();
  auto storage = Storage::wrap(data, size, [holder](void*) mutable { holder.reset(); });
  return TFRecordReader(BufferTag{}, std::move(storage), 0, size, std::move(options));
}

TFRecordReader::TFRecordReader(TFRecordReader&&) noexcept = default;
TFRecordReader& TFRecordReader::operator=(TFRecordReader&&) noexcept = default;
TFRecordReader::~TFRecordReader() = default;

void TFRecordReader::open_memory(std::shared_ptr<Storage> storage, std::size_t begin, std::size_t size) {
  const std::byte* base = storage->data() + begin;
  compression_ = options_.compression();
  if (compression_ == Compression::kAuto) {
    compression_ = detect_compression({base, std::min(size, kDetectBytes)});
  }
  if (compression_ == Compression::kNone) {
    whole_ = std::move(storage);
    base_ = base;
    base_begin_ = begin;
    size_ = size;
    return;
  }
  if (open_inflated({base, size})) return;
  // Compressed bytes in memory are inflated straight from there, with no copy.
  auto raw = detail::make_memory_source(std::move(storage), {base, size});
  source_ = detail::make_inflate_source(std::move(raw), compression_, options_.buffer_size(), name_);
}

std::uint64_t TFRecordReader::whole_inflate_limit() const {
  return std::min(options_.whole_inflate_limit(), options_.max_record_size());
}

bool TFRecordReader::open_inflated(std::span<const std::byte> compressed) {
  if (whole_inflate_limit() == 0) return false;
  std::optional<detail::OwnedBytes> plain = detail::inflate_whole(compressed, compression_, whole_inflate_limit());
  if (!plain) return false;
  // The read buffer is the whole stream; its source, already at its end, serves only a
  // backward seek past the buffer after a seek beyond the end.
  buf_ = std::move(plain->storage);
  begin_ = 0;
  end_ = plain->size;
  source_ = detail::make_memory_source(buf_, {buf_->data(), end_});
  source_->skip(end_);
  return true;
}

void TFRecordReader::open_stream(std::unique_ptr<detail::ByteSource> raw) {
  compression_ = options_.compression();
  if (compression_ == Compression::kAuto) {
    std::vector<std::byte> prefix(kDetectBytes);
    std::size_t got = 0;
    while (got < prefix.size()) {
      const std::size_t k = raw->read(prefix.data() + got, prefix.size() - got);
      if (k == 0) break;
      got += k;
    }
    prefix.resize(got);
    compression_ = detect_compression(prefix);
    raw = detail::make_prefixed_source(std::move(prefix), std::move(raw));
  }
  const std::optional<std::uint64_t> raw_size = raw->size();
  if (compression_ != Compression::kNone && raw_size && *raw_size <= whole_inflate_limit()) {
    // A file small enough to inflate whole is read whole (its size is the file's, not
    // a claim of its bytes); zlib streams it from memory when libdeflate refuses it.
    const detail::OwnedBytes packed = detail::read_whole(*raw, static_cast<std::size_t>(*raw_size));
    if (open_inflated(packed.span())) return;
    raw = detail::make_memory_source(packed.storage, packed.span());
  }
  source_ = compression_ == Compression::kNone
                ? std::move(raw)
                : detail::make_inflate_source(std::move(raw), compression_, options_.buffer_size(), name_);
  if (compression_ == Compression::kNone) stream_size_ = source_->size();
}

std::optional<std::uint64_t> TFRecordReader::remaining() const {
  if (base_ != nullptr) return size_ - pos_;
  if (compression_ != Compression::kNone) return std::nullopt;
  const std::optional<std::uint64_t> total = stream_size_;
  if (!total) return std::nullopt;
  return *total - std::min(*total, pos_);
}

std::uint64_t TFRecordReader::ensure(std::uint64_t n, const std::byte** data) {
  if (base_ != nullptr) {
    *data = base_ + pos_;
    const std::uint64_t got = std::min(n, size_ - pos_);
    if (pos_ + got > populated_) populate(pos_ + got);
    return got;
  }
  const std::uint64_t got = end_ - begin_ >= n ? n : ensure_stream(n);
  *data = buf_ ? buf_->data() + begin_ : nullptr;
  return got;
}

void TFRecordReader::populate(std::uint64_t until) {
  // Page faults on a mapped file cost more than the CRC of the bytes: map the pages a
  // few MiB at a time ahead of the reader instead. Where the kernel cannot, fault.
  constexpr std::uint64_t kAhead = 8 << 20;
  const std::uint64_t from = std::max(populated_, pos_);
  const std::uint64_t to = std::min(size_, std::max(until, from + kAhead));
  if (!detail::populate_mapping(base_ + from, static_cast<std::size_t>(to - from))) {
    populated_ = UINT64_MAX;
    return;
  }
  populated_ = to;
}

std::uint64_t TFRecordReader::ensure_stream(std::uint64_t n) {
  const std::optional<std::uint64_t> left = remaining();
  while (end_ - begin_ < n && !source_eof_) {
    const std::size_t have = end_ - begin_;
    std::size_t cap = buf_ ? buf_->size() : 0;
    if (cap - end_ < n - have) {
      // Room for n contiguous bytes, but never more than the input can still hold: the
      // remaining size when known, else twice what has actually arrived so far.
      std::uint64_t want = std::max<std::uint64_t>(n, options_.buffer_size());
      want = left ? std::min<std::uint64_t>(want, std::max<std::uint64_t>(*left, options_.buffer_size()))
                  : std::min<std::uint64_t>(want, 2 * static_cast<std::uint64_t>(have) + options_.buffer_size());
      if (buf_ && buf_.use_count() == 1 && cap >= want) {
        std::memmove(buf_->data(), buf_->data() + begin_, have);
      } else {
        // A live Record may still view the old buffer: leave it to them.
        if (!pool_) pool_ = detail::ReadBufferPool::make(options_.buffer_size());
        std::shared_ptr<Storage> fresh = pool_->take(static_cast<std::size_t>(want));
        if (have > 0) std::memcpy(fresh->data(), buf_->data() + begin_, have);
        buf_ = std::move(fresh);
      }
      begin_ = 0;
      end_ = have;
      cap = buf_->size();
    }
    const std::size_t got = source_->read(buf_->data() + end_, cap - end_);
    if (got == 0) source_eof_ = true;
    end_ += got;
  }
  return std::min<std::uint64_t>(n, end_ - begin_);
}

void TFRecordReader::advance(std::uint64_t n) {
  pos_ += n;
  if (base_ == nullptr) begin_ += static_cast<std::size_t>(n);
}

RecordFrame TFRecordReader::frame_of(std::uint64_t start, std::uint64_t length) const {
  if (base_ != nullptr) {
    return RecordFrame{&whole_, static_cast<std::size_t>(base_begin_ + start + kHeaderSize), length, start, next_index_};
  }
  return RecordFrame{&buf_, begin_ + kHeaderSize, length, start, next_index_};
}

std::optional<RecordFrame> TFRecordReader::next_frame() {
  while (!done_) {
    const std::uint64_t start = pos_;
    try {
      const std::byte* p = nullptr;
      std::uint64_t got = ensure(kHeaderSize, &p);
      if (got == 0) {
        finish();
        return std::nullopt;
      }
      if (got < kHeaderSize) {
        corruption(start, "truncated header", spool::detail::concat(": expected 12 bytes, ", got, " there"), start + 1);
        continue;
      }
      std::uint64_t length = 0;
      if (!tfrecord::decode_header(p, &length)) {
        corruption(start, "length crc mismatch", "", start + 1);
        continue;
      }
      // Checked before any allocation: a length off the disk must fit what is left.
      const std::optional<std::uint64_t> left = remaining();
      const std::uint64_t after_header = left ? *left - kHeaderSize : 0;
      if (length > UINT64_MAX - kFrameOverhead || (left && length + tfrecord::kFooterSize > after_header)) {
        corruption(start, "truncated record",
                   spool::detail::concat(": expected ", length, " data + 4 crc bytes after the header, ", after_header, " there"),
                   start + 1);
        continue;
      }
      const std::uint64_t frame = length + kFrameOverhead;
      if (length > options_.max_record_size()) {
        corruption(start, "record over the size limit",
                   spool::detail::concat(": the header declares ", length, " bytes, RecordOptions::max_record_size is ",
                                         options_.max_record_size()),
                   start + frame);
        continue;
      }
      got = ensure(frame, &p);
      if (got < frame) {
        corruption(start, "truncated record",
                   spool::detail::concat(": expected ", length, " data + 4 crc bytes after the header, ", got - kHeaderSize,
                                  " there"),
                   start + 1);
        continue;
      }
      if (!tfrecord::footer_matches(p + kHeaderSize, static_cast<std::size_t>(length), p + kHeaderSize + length)) {
        // The length passed its CRC, so the frame's extent is trusted: resume after it.
        corruption(start, "data crc mismatch", "", start + frame);
        continue;
      }
      const RecordFrame record = frame_of(start, length);
      advance(frame);
      if (building_index_) index_.append({start, frame});
      ++next_index_;
      ++records_read_;
      return record;
    } catch (const detail::StreamError& e) {
      stream_broken(start, e.what(), e.offset());
    }
  }
  return std::nullopt;
}

std::string TFRecordReader::message(const std::string& what, std::uint64_t offset, const std::string& tail) const {
  return spool::detail::concat("tfrecord: ", what, " in ", quoted(name_), " at record #", next_index_, " (offset ", offset, ")",
                        tail);
}

void TFRecordReader::report(std::uint64_t offset, std::uint64_t skipped, std::string reason, std::string what) {
  CorruptionReport r{name_, offset, next_index_, skipped, std::move(reason), std::move(what)};
  corruptions_.push_back(r);
  if (options_.on_corruption()) options_.on_corruption()(corruptions_.back());
}

void TFRecordReader::corruption(std::uint64_t start, const std::string& what, const std::string& tail,
                                std::uint64_t resume_at) {
  std::string reason = message(what, start, tail);
  std::string short_what = what + tail;
  switch (options_.corruption_policy()) {
    case CorruptionPolicy::kFail:
      throw DataLossError(reason);
    case CorruptionPolicy::kSkipFile:
      report(start, skip_rest(), std::move(reason), std::move(short_what));
      finish();
      return;
    case CorruptionPolicy::kSkipRecord:
      break;
  }
  try {
    resynchronise(resume_at);
  } catch (const detail::StreamError& e) {
    report(start, pos_ - start, std::move(reason), std::move(short_what));
    stream_broken(pos_, e.what(), e.offset());
    return;
  }
  report(start, pos_ - start, std::move(reason), std::move(short_what));
}

void TFRecordReader::stream_broken(std::uint64_t start, const std::string& what, std::uint64_t broke_at) {
  std::string reason = message(what, broke_at, "");
  SPOOL_CHECK(options_.corruption_policy() != CorruptionPolicy::kFail, DataLossError, reason);
  report(broke_at, broke_at - std::min(start, broke_at), std::move(reason), what);
  finish();
}

std::uint64_t TFRecordReader::skip_rest() {
  if (const std::optional<std::uint64_t> left = remaining()) return *left;
  std::uint64_t skipped = end_ - begin_;
  try {
    skipped += source_->skip(UINT64_MAX);
  } catch (const detail::StreamError&) {  // the rest is unreadable anyway: stop counting
  }
  return skipped;
}

void TFRecordReader::resynchronise(std::uint64_t from) {
  move_forward(from - pos_);
  const std::byte* p = nullptr;
  while (true) {
    const std::uint64_t got = ensure(kHeaderSize, &p);
    if (got < kHeaderSize) {  // too little left for any frame: skip the tail
      advance(got);
      return;
    }
    std::uint64_t length = 0;
    if (tfrecord::decode_header(p, &length)) {
      const std::optional<std::uint64_t> left = remaining();
      if (!left || (*left >= kFrameOverhead && length <= *left - kFrameOverhead)) return;
    }
    advance(1);
  }
}

void TFRecordReader::move_forward(std::uint64_t n) {
  if (base_ != nullptr) {
    pos_ += std::min(n, size_ - pos_);
    return;
  }
  const std::uint64_t buffered = std::min<std::uint64_t>(n, end_ - begin_);
  advance(buffered);
  if (n > buffered) {
    begin_ = end_ = 0;
    pos_ += source_->skip(n - buffered);
  }
}

void TFRecordReader::finish() {
  done_ = true;
  index_complete_ = building_index_;
}

void TFRecordReader::seek(std::uint64_t offset, std::uint64_t record_index) {
  if (offset == 0 && record_index == 0) {
    index_.clear();
    building_index_ = options_.build_index();
  } else if (!(offset == pos_ && record_index == next_index_ && !done_)) {
    building_index_ = false;
  }
  done_ = false;
  index_complete_ = false;
  next_index_ = record_index;
  if (base_ != nullptr) {
    SPOOL_CHECK(offset <= size_, OutOfRange, "tfrecord: seek to offset ", offset, " past the end of ", quoted(name_),
                " (", size_, " bytes)");
    pos_ = offset;
    return;
  }
  if (offset < pos_ && pos_ - offset <= begin_) {  // still in the buffer
    begin_ -= static_cast<std::size_t>(pos_ - offset);
    pos_ = offset;
    return;
  }
  if (offset < pos_) {  // restart the stream (and the inflation) from the beginning
    source_->rewind();
    buf_.reset();
    begin_ = end_ = 0;
    pos_ = 0;
    source_eof_ = false;
  }
  move_forward(offset - pos_);
  SPOOL_CHECK(pos_ == offset, OutOfRange, "tfrecord: seek to offset ", offset, " past the end of ", quoted(name_),
              " (", pos_, " bytes)");
}

Record TFRecordReader::read_at(const RecordIndex& index, std::size_t i) {
  const IndexEntry& entry = index.at(i);
  seek(entry.offset, i);
  std::optional<Record> record = next();
  SPOOL_CHECK(record && record->offset == entry.offset && record->size() + kFrameOverhead == entry.size, DataLossError,
              "tfrecord: index entry #", i, " (offset ", entry.offset, ", size ", entry.size,
              ") does not match the frame found in ", quoted(name_));
  return std::move(*record);
}

}  // namespace spool::data
