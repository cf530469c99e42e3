#include "spool/distribute/epoch_logs.h"

#include <optional>

#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

std::optional<double> find(const EpochLogs& logs, std::string_view name) {
  if (name == "loss") return logs.loss;
  if (name == "val_loss") return logs.val_loss;
  for (const NamedValues* values : {&logs.metrics, &logs.val_metrics}) {
    for (const auto& [n, v] : *values) {
      if (n == name) return v;
    }
  }
  return std::nullopt;
}

}  // namespace

double EpochLogs::value(std::string_view name) const {
  if (const std::optional<double> v = find(*this, name)) return *v;
  std::string known;
  for (const std::string& n : names()) known += (known.empty() ? "" : ", ") + n;
  SPOOL_THROW(InvalidArgument, "no logged value named '", name, "'; logged: ", known);
}

bool EpochLogs::has(std::string_view name) const { return find(*this, name).has_value(); }

std::vector<std::string> EpochLogs::names() const {
  std::vector<std::string> out{"loss"};
  for (const auto& [n, v] : metrics) out.push_back(n);
  out.push_back("val_loss");
  for (const auto& [n, v] : val_metrics) out.push_back(n);
  return out;
}

}  // namespace spool::distribute
