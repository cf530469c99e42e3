#include "spool/distribute/metric_list.h"

#include <set>

#include "spool/autodiff/metrics/metrics.h"
#include "spool/tensor/error.h"

namespace spool::distribute {
namespace {

void check_name(const std::string& name) {
  SPOOL_CHECK(!name.empty(), InvalidArgument, "Trainer: a metric has an empty name");
  for (const char* reserved : {"loss", "epoch", "examples_per_sec", "seconds", "step"}) {
    SPOOL_CHECK(name != reserved, InvalidArgument, "Trainer: a metric may not be named ", quoted(name),
                ", which the trainer logs itself");
  }
  SPOOL_CHECK(!name.starts_with("val_"), InvalidArgument, "Trainer: metric ", quoted(name),
              ": 'val_' names the validation values");
  for (const char c : name) {
    SPOOL_CHECK(c != '/' && c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20, InvalidArgument,
                "Trainer: metric ", quoted(name), ": a name holds no '/', '\"', '\\' or control character");
  }
}

}  // namespace

std::shared_ptr<metrics::Metric> MetricSpec::resolve(const losses::Loss& loss) const {
  if (is_object_) return metric_;
  SPOOL_CHECK(shorthand_ == "accuracy" || shorthand_ == "acc", InvalidArgument, "Trainer: unknown metric ",
              quoted(shorthand_), "; the shorthands are 'accuracy' and 'acc' (pass other metrics as objects)");
  const std::string kind = loss.name();
  if (kind == "sparse_categorical_crossentropy") {
    return std::make_shared<metrics::SparseCategoricalAccuracy>(shorthand_);
  }
  if (kind == "categorical_crossentropy") return std::make_shared<metrics::CategoricalAccuracy>(shorthand_);
  if (kind == "binary_crossentropy") {
    return std::make_shared<metrics::BinaryAccuracy>(0.5, loss.options().from_logits(), shorthand_);
  }
  SPOOL_THROW(InvalidArgument, "Trainer: ", quoted(shorthand_), " follows a cross-entropy loss, not ", kind,
              "; pass a metric object");
}

std::vector<std::shared_ptr<metrics::Metric>> resolve_metrics(const std::vector<MetricSpec>& specs,
                                                              const losses::Loss& loss) {
  std::vector<std::shared_ptr<metrics::Metric>> out;
  std::set<std::string> names;
  for (const MetricSpec& spec : specs) {
    std::shared_ptr<metrics::Metric> m = spec.resolve(loss);
    SPOOL_CHECK(m != nullptr, InvalidArgument, "Trainer: metric #", out.size(), " is null");
    check_name(m->name());
    SPOOL_CHECK(names.insert(m->name()).second, InvalidArgument, "Trainer: two metrics are named ",
                quoted(m->name()));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace spool::distribute
