// TFRecord files for the command's tests, written with the library's own writer, and
// the small byte surgery the corruption tests need.
//
//   std::string path = dir.file("a.tfrecord");
//   RecordIndex frames = write_records(path, {encode_example(ex), "opaque"});
//   flip_byte(path, frames[1].offset + 12);     // first payload byte of record #1
//
// Thread-safety: plain functions on files the caller owns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spool/data/io/compression.h"
#include "spool/data/io/example.h"
#include "spool/data/io/record_index.h"

namespace spool::testing {

// Writes `payloads` to `path`; returns the frames written (offsets in the uncompressed
// stream).
data::RecordIndex write_records(const std::string& path, const std::vector<std::string>& payloads,
                                data::Compression compression = data::Compression::kNone);

// Inverts every bit of the byte at `offset` of the file.
void flip_byte(const std::string& path, std::uint64_t offset);

// Examples with every kind, used by several tests: record i has "label" = [i].
data::Example labelled_example(std::int64_t label);
std::vector<std::string> labelled_examples(int count);

}  // namespace spool::testing
