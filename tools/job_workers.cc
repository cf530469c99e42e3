#include "job_workers.h"

#include <boost/program_options/errors.hpp>

#include "cli_common.h"
#include "spool/distribute/mpi_worker_group.h"
#include "spool/tensor/error.h"

namespace spool::cli {

namespace {

// The exit code run_command gives `error`.
int exit_code_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const QuietExit& e) {
    return e.code;
  } catch (const UsageError&) {
    return kExitUsage;
  } catch (const boost::program_options::error&) {
    return kExitUsage;
  } catch (const spool::InvalidArgument&) {
    return kExitUsage;
  } catch (...) {
    return kExitDataError;
  }
}

// `error` again with "worker R of K: " in front of its message, keeping the kind that
// decides the exit code (spool's types through spool::with_prefix).
[[noreturn]] void rethrow_named(const std::exception_ptr& error, const std::string& worker) {
  try {
    std::rethrow_exception(error);
  } catch (const QuietExit&) {
    throw;
  } catch (const UsageError& e) {
    throw UsageError(worker + ": " + e.what());
  } catch (const boost::program_options::error& e) {
    throw UsageError(worker + ": " + e.what());
  } catch (...) {
  }
  std::rethrow_exception(spool::with_prefix(error, worker + ": "));
}

}  // namespace

JobWorkers JobWorkers::of_launcher() {
  if (distribute::launched_by_mpi()) return JobWorkers(distribute::mpi_world());
  return JobWorkers(std::make_shared<distribute::LocalWorkerGroup>());
}

JobWorkers::JobWorkers(std::shared_ptr<distribute::WorkerGroup> group) : group_(std::move(group)) {}

void JobWorkers::on_first(const std::function<void()>& step) {
  std::exception_ptr error;
  if (first()) {
    try {
      step();
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (size() == 1) {
    if (error) std::rethrow_exception(error);
    return;
  }
  std::int64_t code = error ? exit_code_of(error) : 0;
  max(std::span(&code, 1));
  if (error) std::rethrow_exception(error);
  if (code != 0) throw QuietExit{static_cast<int>(code)};
}

void JobWorkers::agree(std::exception_ptr error, const std::function<void()>& undo,
                       const std::function<void()>& undo_first) {
  if (size() == 1) {
    if (!error) return;
    undo();
    undo_first();
    std::rethrow_exception(error);
  }
  std::int64_t failed = error ? 1 : 0;
  max(std::span(&failed, 1));
  if (failed == 0) return;
  undo();
  group_->barrier();  // every worker's files are gone before worker 0 removes the folder
  if (first()) undo_first();
  group_->barrier();  // and before any worker exits (mpirun may then end the others)
  if (error) rethrow_named(error, describe());
  throw QuietExit{kExitDataError};
}

void JobWorkers::sum(std::span<std::int64_t> values) {
  std::vector<double> as_double(values.begin(), values.end());
  group_->all_reduce_sum(std::span<double>(as_double));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<std::int64_t>(as_double[i]);
}

void JobWorkers::max(std::span<std::int64_t> values) { group_->all_reduce_max(values); }

double JobWorkers::max(double value) {
  // all_reduce_max takes int64: nanoseconds hold any duration a command runs.
  std::int64_t ns = static_cast<std::int64_t>(value * 1e9);
  max(std::span(&ns, 1));
  return static_cast<double>(ns) / 1e9;
}

std::vector<std::string> JobWorkers::all_gather(const std::string& mine) {
  std::vector<std::string> all(static_cast<std::size_t>(size()));
  for (int root = 0; root < size(); ++root) {
    std::string& bytes = all[static_cast<std::size_t>(root)];
    if (root == rank()) bytes = mine;
    group_->broadcast_from(root, bytes);
  }
  return all;
}

}  // namespace spool::cli
