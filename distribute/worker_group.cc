#include "spool/distribute/worker_group.h"

#include "spool/tensor/error.h"

namespace spool::distribute {

void LocalWorkerGroup::abort_job(const std::string& message) { SPOOL_THROW(InternalError, message); }

}  // namespace spool::distribute
