// spool::Error and its kin: the one exception hierarchy of Spool.
//
// Every failure in library code is one of these, with a message built from the
// values involved ("record #17 at offset 4096 of 'a.tfrecord': data crc mismatch"),
// never a bare "bad input". Library code never calls exit() or abort().
//
//   SPOOL_CHECK(n <= limit, InvalidArgument, "count ", n, " exceeds limit ", limit);
//   SPOOL_THROW(DataLossError, "truncated record at offset ", offset);
//
// Thread-safety: exceptions are plain values; nothing here has shared state.
#pragma once

#include <cstdint>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace spool {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller passed something that can never work: a bad option, shape or key.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// The operating system refused: open, read, write, rename failed.
class IoError : public Error {
 public:
  using Error::Error;
};

// The bytes are there but wrong: truncated, corrupt, failed a checksum.
class DataLossError : public Error {
 public:
  using Error::Error;
};

// An index or position past the end of what exists.
class OutOfRange : public Error {
 public:
  using Error::Error;
};

// A well-formed request that this build does not support.
class Unimplemented : public Error {
 public:
  using Error::Error;
};

// Work stopped because its owner went away (an iterator destroyed mid-stream).
class Cancelled : public Error {
 public:
  using Error::Error;
};

// A worker of a job is gone or unreachable (TensorFlow's UnavailableError): work
// given to it may be given to another.
class Unavailable : public Error {
 public:
  using Error::Error;
};

// A broken invariant inside Spool: a bug, not bad input.
class InternalError : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}
}  // namespace detail

// Quotes a name for messages: 'a.tfrecord'.
inline std::string quoted(const std::string& name) { return "'" + name + "'"; }

// Which of the types above an exception is, so that it can be stored (an iterator's
// saved state) or made again with more context. The values are stored: append only.
enum class ErrorKind : std::int64_t {
  kError, kInvalidArgument, kIoError, kDataLoss, kOutOfRange, kUnimplemented, kInternal, kCancelled, kOther,
  kUnavailable
};
// The kind of `error` and its message (kOther for what is not a spool::Error).
ErrorKind error_kind(const std::exception_ptr& error, std::string& message);
// An exception of `kind` with `message` (kOther: InternalError).
std::exception_ptr make_error(ErrorKind kind, const std::string& message);
// `error` again, of the same spool type, its message after `prefix`; another exception
// becomes an InternalError with its what().
std::exception_ptr with_prefix(const std::exception_ptr& error, const std::string& prefix);

}  // namespace spool

#define SPOOL_THROW(ErrorType, ...) throw ::spool::ErrorType(::spool::detail::concat(__VA_ARGS__))

#define SPOOL_CHECK(condition, ErrorType, ...)  \
  do {                                          \
    if (!(condition)) {                         \
      SPOOL_THROW(ErrorType, __VA_ARGS__);      \
    }                                           \
  } while (false)
