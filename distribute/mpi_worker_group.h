// MpiWorkerGroup: the workers of a job started by `mpirun -np K` (or srun, or the MPI
// Operator's launcher), as a WorkerGroup whose collectives are MPI's through Boost.MPI.
//
// MPI is initialised on first use (MPI_THREAD_SERIALIZED: a strategy's replica thread
// may run the collectives) and finalised at exit. launched_by_mpi() tells whether the
// process was started by an MPI launcher, from the variables Open MPI, PMIx and PMI
// set, so that `spool train` picks MultiWorkerMirroredStrategy with no flag.
// Thread-safety: as WorkerGroup.
#pragma once

#include <memory>

#include "spool/distribute/worker_group.h"

namespace spool::distribute {

// True when an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMIX_RANK or
// PMI_SIZE is set).
bool launched_by_mpi();

// How many workers of the job run on this machine (OMPI_COMM_WORLD_LOCAL_SIZE, else
// MPI_LOCALNRANKS, else 1): they share its cores.
int local_workers();

// The job's workers (MPI_COMM_WORLD); initialises MPI if nothing has yet.
std::shared_ptr<WorkerGroup> mpi_world();

}  // namespace spool::distribute
