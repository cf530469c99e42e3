// WorkerGroup: the processes of one training job and the collectives they run
// together. A job on one machine is one worker (LocalWorkerGroup); a job started by
// `mpirun -np K` is K workers whose collectives are MPI's (mpi_worker_group.h), so the
// transport, the rendezvous and the failure detection are Open MPI's, never Spool's.
//
// Every collective is entered by every worker in the same order with the same sizes
// (MPI's rule); the strategies (strategy.h) guarantee it for the collectives they
// issue. Sums of floating-point values are bitwise the same on every worker: MPI
// reduces in one order and distributes that one result.
// Thread-safety: one thread at a time calls the collectives (MPI is initialised with
// MPI_THREAD_SERIALIZED), which need not be the thread that made the group.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace spool::distribute {

class WorkerGroup {
 public:
  virtual ~WorkerGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place: every worker's values become the element-wise sum over workers.
  virtual void all_reduce_sum(std::span<float> values) = 0;
  virtual void all_reduce_sum(std::span<double> values) = 0;
  virtual void all_reduce_max(std::span<std::int64_t> values) = 0;
  // Worker 0's bytes, on every worker.
  void broadcast(std::string& bytes) { broadcast_from(0, bytes); }
  // Worker `root`'s bytes, on every worker (gathering a few strings: one call per root).
  virtual void broadcast_from(int root, std::string& bytes) = 0;
  virtual void barrier() = 0;
  // Ends every worker of the job, this process included, after `message` is printed
  // (MPI_Abort): what an application calls when a worker cannot take part in the next
  // collective, so that no worker waits in one forever. Spool's library never calls
  // it; the spool command does. A single worker throws InternalError instead.
  [[noreturn]] virtual void abort_job(const std::string& message) = 0;
  // "worker 1 of 2" style, for messages and logs.
  std::string describe() const { return "worker " + std::to_string(rank()) + " of " + std::to_string(size()); }
};

// The group of one worker: the collectives are identities.
class LocalWorkerGroup final : public WorkerGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce_sum(std::span<float>) override {}
  void all_reduce_sum(std::span<double>) override {}
  void all_reduce_max(std::span<std::int64_t>) override {}
  void broadcast_from(int, std::string&) override {}
  void barrier() override {}
  [[noreturn]] void abort_job(const std::string& message) override;
};

}  // namespace spool::distribute
