#include "spool/distribute/staleness_gate.h"

#include <algorithm>

#include "spool/tensor/error.h"

namespace spool::distribute {

void StalenessHistogram::add(std::int64_t staleness, std::int64_t times) {
  SPOOL_CHECK(staleness >= 0 && times >= 0, InvalidArgument, "staleness histogram: staleness ", staleness, " x ",
              times);
  if (static_cast<std::int64_t>(counts_.size()) <= staleness) counts_.resize(static_cast<std::size_t>(staleness) + 1);
  counts_[static_cast<std::size_t>(staleness)] += times;
  total_ += times;
}

void StalenessHistogram::merge(const StalenessHistogram& other) {
  for (std::size_t s = 0; s < other.counts_.size(); ++s) add(static_cast<std::int64_t>(s), other.counts_[s]);
}

std::int64_t StalenessHistogram::count(std::int64_t staleness) const {
  return staleness >= 0 && staleness < static_cast<std::int64_t>(counts_.size())
             ? counts_[static_cast<std::size_t>(staleness)]
             : 0;
}

double StalenessHistogram::mean() const {
  if (total_ == 0) return 0;
  double sum = 0;
  for (std::size_t s = 0; s < counts_.size(); ++s) sum += static_cast<double>(s) * static_cast<double>(counts_[s]);
  return sum / static_cast<double>(total_);
}

std::string StalenessHistogram::describe() const {
  std::string out;
  for (std::size_t s = 0; s < counts_.size(); ++s) {
    if (counts_[s] == 0) continue;
    out += (out.empty() ? "" : " ") + std::to_string(s) + ":" + std::to_string(counts_[s]);
  }
  return out.empty() ? "none" : out;
}

StalenessGate::StalenessGate(int workers, std::optional<int> max_staleness)
    : workers_(workers), bound_(max_staleness) {
  SPOOL_CHECK(workers >= 1, InvalidArgument, "staleness gate: workers must be at least 1, got ", workers);
  SPOOL_CHECK(!max_staleness || *max_staleness >= 0, InvalidArgument,
              "staleness bound must be >= 0, got ", *max_staleness);
}

void StalenessGate::check_worker(int worker) const {
  SPOOL_CHECK(worker >= 0 && worker < workers_, InvalidArgument, "staleness gate: worker ", worker, " of ", workers_);
}

bool StalenessGate::feasible(const std::map<int, std::int64_t>& reads, std::int64_t version) const {
  if (!bound_) return true;
  std::vector<std::int64_t> versions;
  versions.reserve(reads.size());
  for (const auto& [worker, v] : reads) versions.push_back(v);
  std::sort(versions.begin(), versions.end());
  for (std::size_t j = 0; j < versions.size(); ++j)
    if (version + static_cast<std::int64_t>(j) - versions[j] > *bound_) return false;
  return true;
}

bool StalenessGate::can_read(int worker) const {
  check_worker(worker);
  if (applying_) return false;
  std::map<int, std::int64_t> after = reads_;
  after[worker] = version_;
  return feasible(after, version_);
}

std::int64_t StalenessGate::begin_read(int worker) {
  SPOOL_CHECK(can_read(worker), InternalError, "staleness gate: worker ", worker, "'s read is not admitted yet");
  reads_[worker] = version_;
  return version_;
}

bool StalenessGate::can_apply(int worker) const {
  check_worker(worker);
  if (applying_ || !reads_.contains(worker)) return false;
  std::map<int, std::int64_t> after = reads_;
  after.erase(worker);
  return feasible(after, version_ + 1);
}

std::int64_t StalenessGate::begin_apply(int worker) {
  SPOOL_CHECK(reads_.contains(worker), InvalidArgument, "staleness gate: worker ", worker,
              " applies a gradient without having read the weights");
  SPOOL_CHECK(can_apply(worker), InternalError, "staleness gate: worker ", worker, "'s apply is not admitted yet");
  const std::int64_t staleness = version_ - reads_.at(worker);
  reads_.erase(worker);
  applying_ = true;
  return staleness;
}

void StalenessGate::end_apply() {
  SPOOL_CHECK(applying_, InternalError, "staleness gate: end_apply without begin_apply");
  applying_ = false;
  ++version_;
}

void StalenessGate::withdraw(int worker) {
  check_worker(worker);
  reads_.erase(worker);
}

void StalenessGate::restart(std::int64_t version) {
  SPOOL_CHECK(!applying_ && version >= 0, InternalError, "staleness gate: restart at ", version,
              applying_ ? " during an apply" : "");
  reads_.clear();
  version_ = version;
}

}  // namespace spool::distribute
