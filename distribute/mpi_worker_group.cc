#include "spool/distribute/mpi_worker_group.h"

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <cstdlib>
#include <iostream>
#include <limits>

#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

namespace mpi = boost::mpi;

// One environment for the life of the process: MPI can be initialised only once.
mpi::environment& environment() {
  static mpi::environment env(mpi::threading::serialized, /*abort_on_exception=*/false);
  return env;
}

class MpiWorkerGroup final : public WorkerGroup {
 public:
  MpiWorkerGroup() {
    environment();
    SPOOL_CHECK(mpi::environment::thread_level() >= mpi::threading::serialized, Unimplemented,
                "MPI: this MPI library gives thread level ", static_cast<int>(mpi::environment::thread_level()),
                "; Spool needs MPI_THREAD_SERIALIZED");
  }
  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }
  void all_reduce_sum(std::span<float> values) override { in_place(values, MPI_SUM); }
  void all_reduce_sum(std::span<double> values) override { in_place(values, MPI_SUM); }
  void all_reduce_max(std::span<std::int64_t> values) override { in_place(values, MPI_MAX); }
  void broadcast_from(int root, std::string& bytes) override {
    SPOOL_CHECK(root >= 0 && root < size(), InvalidArgument, "broadcast from worker ", root, " of ", size());
    mpi::broadcast(world_, bytes, root);
  }
  void barrier() override { world_.barrier(); }
  [[noreturn]] void abort_job(const std::string& message) override {
    std::cerr << "spool: " << describe() << ": " << message << "; ending every worker of the job" << std::endl;
    world_.abort(1);
    std::abort();  // MPI_Abort does not return; this line says so to the compiler
  }

 private:
  // MPI_Allreduce with MPI_IN_PLACE, called directly: Boost.MPI's in-place wrapper
  // reads through the MPI_IN_PLACE sentinel (UBSan reports it).
  template <typename T>
  void in_place(std::span<T> values, MPI_Op op) {
    if (values.empty()) return;
    SPOOL_CHECK(values.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), InvalidArgument,
                "MPI all-reduce of ", values.size(), " values: more than an int counts");
    const int rc = MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                                 mpi::get_mpi_datatype<T>(), op, static_cast<MPI_Comm>(world_));
    SPOOL_CHECK(rc == MPI_SUCCESS, InternalError, "MPI_Allreduce failed with code ", rc, " on ", describe());
  }
  mpi::communicator world_;
};

}  // namespace

bool launched_by_mpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_SIZE") != nullptr;
}

int local_workers() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n >= 1) return n;
    }
  }
  return 1;
}

std::shared_ptr<WorkerGroup> mpi_world() {
  static std::shared_ptr<WorkerGroup> world = std::make_shared<MpiWorkerGroup>();
  return world;
}

}  // namespace spool::distribute
