#include "spool/distribute/detail/coordinator_backend.h"
#include "spool/tensor/error.h"

namespace spool::distribute::detail {
std::unique_ptr<CoordinatorBackend> make_mpi_backend(const ParameterServerStrategy&,
                                                     const ClusterCoordinator::ModelFactory&,
                                                     const ClusterCoordinator::OptimizerFactory&) {
  SPOOL_THROW(Unimplemented, "not yet");
}
}  // namespace spool::distribute::detail
