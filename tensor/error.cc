#include "spool/tensor/error.h"

namespace spool {

ErrorKind error_kind(const std::exception_ptr& error, std::string& message) {
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
  } catch (const Unavailable& e) {
    message = e.what();
    return ErrorKind::kUnavailable;
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
    case ErrorKind::kUnavailable: return std::make_exception_ptr(Unavailable(message));
    case ErrorKind::kError: return std::make_exception_ptr(Error(message));
    case ErrorKind::kOther: break;
  }
  return std::make_exception_ptr(InternalError(message));
}

std::exception_ptr with_prefix(const std::exception_ptr& error, const std::string& prefix) {
  std::string message;
  const ErrorKind kind = error_kind(error, message);
  return make_error(kind, prefix + message);
}

}  // namespace spool
