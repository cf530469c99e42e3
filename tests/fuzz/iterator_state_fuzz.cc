// libFuzzer target: arbitrary bytes as a saved iterator state. The first byte picks one
// of the fixed pipelines of fuzz_inputs.h (shuffle, parallel map, batch, prefetch;
// skip/take/repeat/shard/enumerate; parallel interleave; cache and window; a TFRecord
// source read two files at a time; filter/zip/concatenate/padded_batch/unbatch/
// rebatch), the rest is the state, whose header CRC is made good again so that
// mutations reach the stages' fields (layout: data/iterator_state.cc). The pipeline is
// built anew per input (a cache and the shuffles' iteration counts live in it).
//
// Contract checked: a state the pipeline cannot take throws spool::Error (anything
// else, a crash, a sanitizer report, an allocation past -rss_limit_mb or a restore that
// hangs past -timeout is a bug); a restored iterator yields a bounded number of
// elements without hanging, its elements' errors are spool::Error too, and saving it
// after a few elements and restoring that state resumes exactly: the same elements
// (dtype, shape, bytes), the same errors, the same end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "fuzz_check.h"
#include "fuzz_inputs.h"
#include "spool/tensor/crc32c.h"
#include "spool/tensor/error.h"

namespace {

using namespace spool::data;
using spool::fuzz::check;

constexpr int kMaxPulls = 64;
constexpr int kCompared = 16;

// The header is "SPOOLIT1" and the CRC-32C of what follows it.
std::string with_crc_recomputed(std::string bytes) {
  if (bytes.size() >= 12) {
    const std::uint32_t crc = spool::crc32c(bytes.data() + 12, bytes.size() - 12);
    std::memcpy(&bytes[8], &crc, 4);
  }
  return bytes;
}

bool same(const Element& a, const Element& b) {
  if (a.size() != b.size() || a.has_names() != b.has_names()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.has_names() && a.names()[i] != b.names()[i]) return false;
    if (a[i].defined() != b[i].defined()) return false;
    if (!a[i].defined()) continue;
    if (a[i].dtype() != b[i].dtype() || a[i].shape() != b[i].shape()) return false;
    const spool::Tensor x = a[i].contiguous(), y = b[i].contiguous();
    const auto n = static_cast<std::size_t>(x.numel()) * x.element_size();
    if (n != 0 && std::memcmp(x.raw_data(), y.raw_data(), n) != 0) return false;
  }
  return true;
}

// The next element, or nullopt at the end; `failed` says next() threw (the iterator
// may go on after an element's error).
std::optional<Element> pull(Iterator& it, bool& failed) {
  failed = false;
  try {
    return it.next();
  } catch (const spool::Error&) {
    failed = true;
    return std::nullopt;
  }
}

void restore_and_run(const Dataset& ds, const IteratorState& state, int before_save) {
  Iterator it = ds.make_iterator(state);
  int pulls = 0;
  bool failed = false;
  for (; pulls < before_save; ++pulls) {
    if (!pull(it, failed) && !failed) return;
  }
  // Resuming from a state saved here must give what this iterator gives next.
  Iterator again = ds.make_iterator(it.save());
  for (int i = 0; i < kCompared; ++i, ++pulls) {
    bool failed_again = false;
    const std::optional<Element> a = pull(it, failed), b = pull(again, failed_again);
    check(failed == failed_again, "a resumed iterator fails where the saved one does");
    check(a.has_value() == b.has_value(), "a resumed iterator ends where the saved one does");
    if (!a && !failed) return;
    check(!a || same(*a, *b), "a resumed iterator yields the saved one's elements");
  }
  for (; pulls < kMaxPulls; ++pulls) {
    if (!pull(it, failed) && !failed) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int which = data[0] % spool::fuzz::kStatePipelines;
  // Where the resumed iterator is saved again: 0 .. 7 elements in.
  const int before_save = (data[0] / spool::fuzz::kStatePipelines) % 8;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    (void)IteratorState::from_bytes(bytes, "fuzz");
  } catch (const spool::Error&) {
  }
  IteratorState state;
  try {
    state = IteratorState::from_bytes(with_crc_recomputed(bytes), "fuzz");
  } catch (const spool::Error&) {
    return 0;
  }
  try {
    restore_and_run(spool::fuzz::state_pipeline(which), state, before_save);
  } catch (const spool::Error&) {
    // Restoring (or saving the restored iterator) refused the state.
  }
  return 0;
}
