#include "spool/data/detail/dataset_node.h"

#include <atomic>

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

std::optional<Element> IteratorBase::next() {
  if (!timed_) {
    auto e = get_next();
    if (e) counters_->bump(counters_->elements, 1);
    return e;
  }
  using Clock = std::chrono::steady_clock;
  pulled_ns_ = 0;
  const auto start = Clock::now();
  std::optional<Element> e;
  try {
    e = get_next();
  } catch (...) {
    last_next_ns_ = to_ns(Clock::now() - start);
    throw;
  }
  last_next_ns_ = to_ns(Clock::now() - start);
  counters_->bump(counters_->self_ns, last_next_ns_ - pulled_ns_);
  counters_->bump(counters_->wait_ns, pulled_ns_);
  if (e) {
    counters_->bump(counters_->elements, 1);
    counters_->bump(counters_->bytes, e->byte_size());
  }
  return e;
}

std::optional<Element> IteratorBase::pull(IteratorBase& input) {
  struct Account {  // also when input.next() throws
    IteratorBase& self;
    IteratorBase& input;
    ~Account() { self.pulled_ns_ += input.last_next_ns_; }
  } account{*this, input};
  return input.next();
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
namespace {

// The spool error types, by code, so errors survive rethrowing with context and saving.
enum class ErrorKind : std::int64_t {
  kError, kInvalidArgument, kIoError, kDataLoss, kOutOfRange, kUnimplemented, kInternal, kCancelled, kOther
};

ErrorKind classify(std::exception_ptr error, std::string& message) {
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    message = e.what();
    return ErrorKind::kInvalidArgument;
  } catch (const IoError& e) {
    message = e.what();
    return ErrorKind::kIoError;
  } catch (const DataLossError& e) {
    message = e.what();
    return ErrorKind::kDataLoss;
  } catch (const OutOfRange& e) {
    message = e.what();
    return ErrorKind::kOutOfRange;
  } catch (const Unimplemented& e) {
    message = e.what();
    return ErrorKind::kUnimplemented;
  } catch (const InternalError& e) {
    message = e.what();
    return ErrorKind::kInternal;
  } catch (const Cancelled& e) {
    message = e.what();
    return ErrorKind::kCancelled;
  } catch (const Error& e) {
    message = e.what();
    return ErrorKind::kError;
  } catch (const std::exception& e) {
    message = e.what();
    return ErrorKind::kOther;
  } catch (...) {
    message = "unknown exception";
    return ErrorKind::kOther;
  }
}

std::exception_ptr make_error(ErrorKind kind, const std::string& message) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return std::make_exception_ptr(InvalidArgument(message));
    case ErrorKind::kIoError: return std::make_exception_ptr(IoError(message));
    case ErrorKind::kDataLoss: return std::make_exception_ptr(DataLossError(message));
    case ErrorKind::kOutOfRange: return std::make_exception_ptr(OutOfRange(message));
    case ErrorKind::kUnimplemented: return std::make_exception_ptr(Unimplemented(message));
    case ErrorKind::kInternal: return std::make_exception_ptr(InternalError(message));
    case ErrorKind::kCancelled: return std::make_exception_ptr(Cancelled(message));
    case ErrorKind::kError: return std::make_exception_ptr(Error(message));
    case ErrorKind::kOther: break;
  }
  return std::make_exception_ptr(InternalError(message));
}

}  // namespace

void rethrow_with_context(const std::string& stage, std::int64_t index) {
  rethrow_with_context(std::current_exception(), stage, index);
}

void rethrow_with_context(std::exception_ptr error, const std::string& stage, std::int64_t index) {
  std::string message;
  const ErrorKind kind = classify(error, message);
  if (kind == ErrorKind::kCancelled) std::rethrow_exception(error);
  std::rethrow_exception(make_error(kind, spool::detail::concat(stage, ": element #", index, ": ", message)));
}

void write_error(StateWriter& writer, std::exception_ptr error) {
  std::string message;
  const ErrorKind kind = classify(error, message);
  writer.write_i64(static_cast<std::int64_t>(kind));
  writer.write_string(message);
}

std::exception_ptr read_error(StateReader& reader) {
  const std::int64_t kind = reader.read_i64();
  std::string message = reader.read_string();
  SPOOL_CHECK(kind >= 0 && kind <= static_cast<std::int64_t>(ErrorKind::kOther), DataLossError,
              "iterator state: bad error kind ", kind);
  return make_error(static_cast<ErrorKind>(kind), message);
}

}  // namespace spool::data::detail
