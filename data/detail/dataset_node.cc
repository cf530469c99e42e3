#include "spool/data/detail/dataset_node.h"

#include <atomic>

#include "spool/data/detail/stage_clock.h"
#include "spool/tensor/error.h"

namespace spool::data::detail {

std::shared_ptr<void> PipelineContext::shared_state(std::uint64_t key,
                                                    const std::function<std::shared_ptr<void>()>& make) {
  std::lock_guard lock(shared_mu_);
  std::shared_ptr<void>& state = shared_[key];
  if (!state) state = make();
  return state;
}

std::uint64_t PipelineContext::new_shared_state_key() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

IteratorBase::IteratorBase(const DatasetNode& node, const IteratorContext& context)
    : context_(context),
      name_(node.name()),
      counters_(context.pipeline->stats().counters_for(node)),
      timed_(context.pipeline->options().collect_stats()) {}

namespace {

// The bytes of a record element's first component, or a null view when that is not a
// 1-D u8 contiguous tensor (the parsing stage names the element in its error).
std::string_view view_of(const Element& e) {
  if (e.empty()) return {};
  const Tensor& t = e[0];
  if (!t.defined() || t.rank() != 1 || t.dtype() != DType::kU8 || !t.is_contiguous()) return {};
  const std::string_view v = t.as_string_view();
  return v.data() != nullptr ? v : std::string_view("", 0);
}

std::int64_t total_bytes(const std::vector<Element>& out, std::size_t from) {
  std::int64_t bytes = 0;
  for (std::size_t i = from; i < out.size(); ++i) bytes += out[i].byte_size();
  return bytes;
}

}  // namespace

// The timed wrapper of next() and of counted_run(): `call` returns the elements it produced;
// `bytes` measures them.
template <typename Call, typename Bytes>
auto IteratorBase::timed(Call&& call, Bytes&& bytes) {
  pulled_ns_ = 0;
  const std::int64_t start = stage_clock_ns();
  try {
    auto result = call();
    last_next_ns_ = stage_clock_ns() - start;
    counters_->bump(counters_->self_ns, last_next_ns_ - pulled_ns_);
    counters_->bump(counters_->wait_ns, pulled_ns_);
    bytes(result);
    return result;
  } catch (...) {
    last_next_ns_ = stage_clock_ns() - start;
    throw;
  }
}

std::optional<Element> IteratorBase::next() {
  if (!timed_) {
    auto e = get_next();
    if (e) counters_->bump(counters_->elements, 1);
    return e;
  }
  return timed([&] { return get_next(); },
               [&](const std::optional<Element>& e) {
                 if (!e) return;
                 counters_->bump(counters_->elements, 1);
                 counters_->bump(counters_->bytes, e->byte_size());
               });
}

// next_n() and next_views(): `call` appends a run and returns its length; `bytes` sums
// what it appended (asked only when timing, as next() asks an element's size).
template <typename Call, typename Bytes>
std::size_t IteratorBase::counted_run(Call&& call, Bytes&& bytes) {
  if (!timed_) {
    const std::size_t got = call();
    counters_->bump(counters_->elements, static_cast<std::int64_t>(got));
    return got;
  }
  return timed(call, [&](std::size_t got) {
    counters_->bump(counters_->elements, static_cast<std::int64_t>(got));
    counters_->bump(counters_->bytes, bytes());
  });
}

std::size_t IteratorBase::next_n(std::size_t n, std::vector<Element>& out) {
  const std::size_t from = out.size();
  return counted_run([&] { return get_next_n(n, out); }, [&] { return total_bytes(out, from); });
}

std::size_t IteratorBase::next_views(std::size_t n, RecordViews& out) {
  const std::size_t from = out.records.size();
  return counted_run([&] { return get_next_views(n, out); },
                     [&] {
                       std::int64_t bytes = 0;
                       for (std::size_t i = from; i < out.records.size(); ++i) {
                         bytes += static_cast<std::int64_t>(out.records[i].size());
                       }
                       return bytes;
                     });
}

std::size_t IteratorBase::get_next_views(std::size_t n, RecordViews& out) {
  // Views are taken once the elements stop moving; an error keeps the ones before it.
  const std::size_t from = out.elements.size();
  const auto view_new = [&] {
    for (std::size_t i = from; i < out.elements.size(); ++i) out.records.push_back(view_of(out.elements[i]));
  };
  std::size_t got = 0;
  try {
    got = get_next_n(n, out.elements);
  } catch (...) {
    view_new();
    throw;
  }
  view_new();
  return got;
}

std::size_t IteratorBase::get_next_n(std::size_t n, std::vector<Element>& out) {
  std::size_t got = 0;
  for (; got < n; ++got) {
    std::optional<Element> e = get_next();
    if (!e) break;
    out.push_back(std::move(*e));
  }
  return got;
}

// Adds the input's last call to this stage's waiting, also when that call throws.
struct IteratorBase::InputAccount {
  IteratorBase& self;
  IteratorBase& input;
  ~InputAccount() { self.pulled_ns_ += input.last_next_ns_; }
};

std::optional<Element> IteratorBase::pull(IteratorBase& input) {
  const InputAccount account{*this, input};
  return input.next();
}

std::size_t IteratorBase::pull_n(IteratorBase& input, std::size_t n, std::vector<Element>& out) {
  const InputAccount account{*this, input};
  return input.next_n(n, out);
}

std::size_t IteratorBase::pull_views(IteratorBase& input, std::size_t n, RecordViews& out) {
  const InputAccount account{*this, input};
  return input.next_views(n, out);
}

void IteratorBase::save_state(StateWriter& writer) {
  writer.begin(name_);
  save(writer);
}

void IteratorBase::restore_state(StateReader& reader) {
  reader.begin(name_);
  restore(reader);
}

}  // namespace spool::data::detail

namespace spool::data::detail {

// Errors survive rethrowing with context and saving by their kind (tensor/error.h).
void rethrow_with_context(const std::string& stage, std::int64_t index) {
  rethrow_with_context(std::current_exception(), stage, index);
}

void rethrow_with_context(std::exception_ptr error, const std::string& stage, std::int64_t index) {
  std::string message;
  const ErrorKind kind = error_kind(error, message);
  if (kind == ErrorKind::kCancelled) std::rethrow_exception(error);
  std::rethrow_exception(make_error(kind, spool::detail::concat(stage, ": element #", index, ": ", message)));
}

void write_error(StateWriter& writer, std::exception_ptr error) {
  std::string message;
  const ErrorKind kind = error_kind(error, message);
  writer.write_i64(static_cast<std::int64_t>(kind));
  writer.write_string(message);
}

std::exception_ptr read_error(StateReader& reader) {
  const std::int64_t kind = reader.read_i64();
  std::string message = reader.read_string();
  SPOOL_CHECK(kind >= 0 && kind <= static_cast<std::int64_t>(ErrorKind::kUnavailable), DataLossError,
              "iterator state: bad error kind ", kind);
  return make_error(static_cast<ErrorKind>(kind), message);
}

}  // namespace spool::data::detail
