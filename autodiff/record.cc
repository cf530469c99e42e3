#include "spool/autodiff/record.h"

#include "spool/autodiff/detail/tape_impl.h"
#include "spool/autodiff/graph/detail/backward_node.h"

namespace spool::autodiff {
namespace detail {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {  // splitmix64's finaliser over h ^ v
  std::uint64_t z = (h ^ v) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

TensorKey key_of(const Tensor& t) {
  if (!t.defined() || (t.dtype() != DType::kF32 && t.dtype() != DType::kF64)) return {};
  std::uint64_t h = mix(static_cast<std::uint64_t>(t.offset()), static_cast<std::uint64_t>(t.dtype()) + 1);
  h = mix(h, static_cast<std::uint64_t>(t.rank()));
  for (std::int64_t d : t.shape().dims()) h = mix(h, static_cast<std::uint64_t>(d));
  for (std::int64_t s : t.strides()) h = mix(h, static_cast<std::uint64_t>(s));
  return TensorKey{t.storage().get(), h};
}

}  // namespace detail

namespace {

bool tapes_record() {
  if (detail::all_paused()) return false;
  for (const detail::TapeImpl* tape : detail::active_tapes())
    if (tape->recording()) return true;
  return false;
}

}  // namespace

// Under graph mode an op must take at a replay the path it took at the trace, where a
// tape recorded (a pooling op computes its argmax only then): the answers are noted
// while a node is traced and given back while it replays.
bool is_recording() {
  if (const int replayed = graph::detail::replayed_decision(); replayed >= 0) [[unlikely]]
    return replayed != 0;
  const bool recording = tapes_record();
  graph::detail::note_decision(recording);
  return recording;
}

template <typename Inputs>
void Recording::start(const Inputs& inputs) {
  if (const int replayed = graph::detail::replayed_decision(); replayed >= 0) [[unlikely]] {
    replayed_ = replayed != 0;
    return;
  }
  if (!detail::active_tapes().empty()) {
    std::vector<const Tensor*> pointers;
    pointers.reserve(inputs.size());
    for (const Tensor& t : inputs) pointers.push_back(&t);
    begin(pointers);
  }
  graph::detail::note_decision(!tapes_.empty());
}

Recording::Recording(std::initializer_list<std::reference_wrapper<const Tensor>> inputs) { start(inputs); }

Recording::Recording(std::span<const Tensor> inputs) { start(inputs); }

void Recording::begin(std::span<const Tensor* const> inputs) {
  if (detail::all_paused()) return;
  inputs_ = inputs.size();
  thread_local std::vector<detail::TensorKey> keys;  // begin() runs no op, so it never nests
  keys.clear();
  for (const Tensor* t : inputs) keys.push_back(detail::key_of(*t));
  for (detail::TapeImpl* tape : detail::active_tapes()) {
    if (!tape->recording()) continue;
    const std::size_t first = ids_.size();
    bool tracked = false;
    for (const detail::TensorKey& key : keys) {
      ids_.push_back(tape->find(key));
      tracked = tracked || ids_.back() >= 0;
    }
    if (tracked) {
      tapes_.push_back(tape);
    } else {
      ids_.resize(first);
    }
  }
}

void Recording::commit(const Tensor& output, std::shared_ptr<detail::BackwardFn> backward) {
  graph::detail::closure_made(backward.get());
  for (std::size_t t = 0; t < tapes_.size(); ++t)
    tapes_[t]->add_node(output, std::span(ids_).subspan(t * inputs_, inputs_), backward);
  tapes_.clear();
}

void record_without_gradient(const Tensor& output, std::initializer_list<std::reference_wrapper<const Tensor>> inputs,
                             const char* what) {
  Recording rec(inputs);
  if (rec)
    rec.record(output, [what](GradContext&) {
      SPOOL_THROW(Unimplemented, "the gradient of ", what, " (a second derivative) is not implemented");
    });
}

}  // namespace spool::autodiff
