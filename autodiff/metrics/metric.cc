#include "spool/autodiff/metrics/metric.h"

#include "spool/tensor/error.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"

namespace spool::metrics {

std::vector<NamedTensor> MeanMetric::state() const {
  return {{"total", Tensor::scalar(total_)}, {"count", Tensor::scalar(count_)}};
}

void MeanMetric::load_state(std::span<const NamedTensor> state) {
  const auto find = [&](const char* key) {
    for (const NamedTensor& t : state) {
      if (t.name != key) continue;
      SPOOL_CHECK(t.tensor.dtype() == DType::kF64 && t.tensor.shape() == Shape{}, InvalidArgument, "metric ",
                  quoted(name()), ": state ", quoted(key), " must be an f64 scalar, got ",
                  dtype_name(t.tensor.dtype()), " ", t.tensor.shape().to_string());
      return t.tensor.item<double>();
    }
    SPOOL_THROW(InvalidArgument, "metric ", quoted(name()), ": no state ", quoted(key), " among ", state.size(),
                " entries");
  };
  const double total = find("total"), count = find("count");  // both checked before either is set
  total_ = total;
  count_ = count;
}

void MeanMetric::add(const Tensor& values, const Tensor& sample_weight) {
  const Tensor v = values.cast(DType::kF64);
  if (!sample_weight.defined()) {
    total_ += spool::kernels::sum(v).item<double>();
    count_ += static_cast<double>(v.numel());
    return;
  }
  // A weight per value is taken element for element whatever its shape ([N] weights for
  // [N, 1] values), as Keras squeezes them; otherwise the weights broadcast.
  const Tensor w64 = sample_weight.cast(DType::kF64);
  const Tensor w = w64.numel() == v.numel() ? w64.contiguous().reshape(v.shape()) : w64.broadcast_to(v.shape());
  total_ += spool::kernels::sum(spool::kernels::mul(v, w)).item<double>();
  count_ += spool::kernels::sum(w).item<double>();
}

void MeanMetric::add(double value, double weight) {
  total_ += value * weight;
  count_ += weight;
}

}  // namespace spool::metrics
