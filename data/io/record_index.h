// RecordIndex: where each record of a TFRecord file starts, for random access and
// sharding. The text format is DALI's tfrecord2idx: one "offset size" line per record,
// where size is the whole frame (16 + payload length); the default path is <file>.idx.
//
//   RecordIndex index = RecordIndex::build("train.tfrecord");   // one pass over the file
//   index.save(RecordIndex::default_path("train.tfrecord"));    // atomically
//   RecordIndex again = RecordIndex::load("train.tfrecord.idx");
//   TFRecordReader reader("train.tfrecord");
//   Record r = reader.read_at(again, 1742);                      // record #1742
//
// A reader that reaches the end of a file has built the same index as a by-product
// (TFRecordReader::index()), so counting records never needs a second pass.
// Offsets are in the uncompressed stream; for a compressed file they are valid for
// TFRecordReader::seek() but are not byte positions in the file on disk.
// Thread-safety: a plain value; const methods are safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spool/data/io/record_options.h"

namespace spool::data {

struct IndexEntry {
  std::uint64_t offset = 0;  // of the frame header
  std::uint64_t size = 0;    // of the whole frame: 16 + payload bytes
  std::uint64_t payload_size() const { return size - 16; }
  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

class RecordIndex {
 public:
  RecordIndex() = default;
  // Validates like load(): sizes >= 16, frames in increasing order, no overlap.
  explicit RecordIndex(std::vector<IndexEntry> entries);

  // Reads `tfrecord_path` once with `options` (corrupt records follow its policy).
  static RecordIndex build(const std::string& tfrecord_path, const RecordOptions& options = {});
  // Strict: a malformed line, a size below 16, a decreasing offset or overlapping
  // frames is a DataLossError naming the index file and the line number.
  static RecordIndex load(const std::string& index_path);
  // Writes to a temporary file beside `index_path`, then renames it into place.
  void save(const std::string& index_path) const;
  // "<tfrecord_path>.idx".
  static std::string default_path(const std::string& tfrecord_path);

  // Adds the frame after the last one; throws InvalidArgument if it would overlap it.
  void append(IndexEntry entry);
  void clear() { entries_.clear(); }

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Throws OutOfRange naming i and size().
  const IndexEntry& at(std::size_t i) const;
  const IndexEntry& operator[](std::size_t i) const { return entries_[i]; }
  const std::vector<IndexEntry>& entries() const { return entries_; }
  std::vector<IndexEntry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<IndexEntry>::const_iterator end() const { return entries_.end(); }
  // Offset just past the last frame (0 when empty).
  std::uint64_t end_offset() const { return entries_.empty() ? 0 : entries_.back().offset + entries_.back().size; }

  // The file's text, exactly as save() writes it.
  std::string to_text() const;

  friend bool operator==(const RecordIndex&, const RecordIndex&) = default;

 private:
  std::vector<IndexEntry> entries_;
};

}  // namespace spool::data
