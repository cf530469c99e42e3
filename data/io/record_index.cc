#include "spool/data/io/record_index.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "spool/tensor/atomic_file.h"
#include "spool/data/io/tfrecord_format.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/tensor/error.h"

namespace spool::data {

namespace {

// Why an entry cannot follow `prev`, or empty when it can.
std::string entry_problem(const IndexEntry* prev, const IndexEntry& e) {
  if (e.size < tfrecord::kFrameOverhead) {
    return spool::detail::concat("frame size ", e.size, " is below the ", tfrecord::kFrameOverhead, "-byte minimum");
  }
  if (e.offset > UINT64_MAX - e.size) return spool::detail::concat("frame at offset ", e.offset, " of size ", e.size, " overflows");
  if (prev != nullptr && e.offset < prev->offset + prev->size) {
    return spool::detail::concat("frame at offset ", e.offset, " overlaps the previous frame [", prev->offset, ", ",
                          prev->offset + prev->size, ")");
  }
  return {};
}

// Parses one unsigned decimal field starting at *p; false when there is none.
bool parse_field(const char*& p, const char* end, std::uint64_t* out) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  const auto [next, ec] = std::from_chars(p, end, *out);
  if (ec != std::errc() || next == p) return false;
  p = next;
  return true;
}

}  // namespace

RecordIndex::RecordIndex(std::vector<IndexEntry> entries) {
  entries_.reserve(entries.size());
  for (const IndexEntry& e : entries) append(e);
}

void RecordIndex::append(IndexEntry entry) {
  // Readers append once per record: the message is built only for a bad entry.
  const IndexEntry* prev = entries_.empty() ? nullptr : &entries_.back();
  const bool plausible = entry.size >= tfrecord::kFrameOverhead && entry.offset <= UINT64_MAX - entry.size &&
                         (prev == nullptr || entry.offset >= prev->offset + prev->size);
  if (!plausible) {
    SPOOL_THROW(InvalidArgument, "record index entry #", entries_.size(), ": ", entry_problem(prev, entry));
  }
  entries_.push_back(entry);
}

const IndexEntry& RecordIndex::at(std::size_t i) const {
  SPOOL_CHECK(i < entries_.size(), OutOfRange, "record index ", i, " out of range [0, ", entries_.size(), ")");
  return entries_[i];
}

RecordIndex RecordIndex::build(const std::string& tfrecord_path, const RecordOptions& options) {
  TFRecordReader reader(tfrecord_path, options);
  while (reader.next()) {
  }
  return reader.index();
}

std::string RecordIndex::default_path(const std::string& tfrecord_path) { return tfrecord_path + ".idx"; }

std::string RecordIndex::to_text() const {
  std::string out;
  out.reserve(entries_.size() * 16);
  for (const IndexEntry& e : entries_) {
    out += std::to_string(e.offset);
    out += ' ';
    out += std::to_string(e.size);
    out += '\n';
  }
  return out;
}

void RecordIndex::save(const std::string& index_path) const {
  spool::detail::AtomicFile file(index_path);
  const std::string text = to_text();
  file.write(text.data(), text.size());
  file.commit();
}

RecordIndex RecordIndex::load(const std::string& index_path) {
  std::ifstream in(index_path, std::ios::binary);
  SPOOL_CHECK(in, IoError, "cannot open record index ", quoted(index_path));
  RecordIndex index;
  std::string line;
  std::uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const char* p = line.data();
    const char* end = p + line.size();
    IndexEntry e;
    const bool ok = parse_field(p, end, &e.offset) && parse_field(p, end, &e.size);
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    SPOOL_CHECK(ok && p == end, DataLossError, "record index ", quoted(index_path), " line ", line_no,
                ": expected \"<offset> <size>\", found ", quoted(line));
    const std::string problem = entry_problem(index.empty() ? nullptr : &index.entries_.back(), e);
    SPOOL_CHECK(problem.empty(), DataLossError, "record index ", quoted(index_path), " line ", line_no, ": ", problem);
    index.entries_.push_back(e);
  }
  SPOOL_CHECK(!in.bad(), IoError, "cannot read record index ", quoted(index_path));
  return index;
}

}  // namespace spool::data
