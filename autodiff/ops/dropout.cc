#include "spool/autodiff/ops/dropout.h"

#include "spool/autodiff/graph/trace.h"
#include "spool/autodiff/ops/arithmetic.h"

namespace spool {

Tensor dropout(const Tensor& x, double rate, Generator& gen) {
  // A traced dropout draws a new mask at each replay, from the same generator.
  if (graph::detail::recording_tracer() != nullptr) [[unlikely]]
    return graph::record_op(
        "dropout", [](const Tensor& in, double r, Generator* g) { return dropout(in, r, *g); }, x, rate, &gen);
  SPOOL_CHECK(rate >= 0 && rate < 1, InvalidArgument, "dropout: rate ", rate, " outside [0, 1)");
  SPOOL_CHECK(x.dtype() == DType::kF32 || x.dtype() == DType::kF64, InvalidArgument, "dropout: needs f32/f64, got ",
              dtype_name(x.dtype()));
  if (rate == 0) return x;
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  const double scale = 1.0 / (1.0 - rate);
  visit_dtype(x.dtype(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>) {
      T* m = mask.data<T>();
      for (std::int64_t i = 0; i < mask.numel(); ++i) m[i] = gen.next_double() >= rate ? T(scale) : T(0);
    }
  });
  return mul(x, mask);
}

}  // namespace spool
