#include "spool/autodiff/custom_gradient.h"

#include "spool/autodiff/detail/tape_impl.h"
#include "spool/autodiff/record.h"
#include "spool/autodiff/tape.h"

namespace spool::autodiff {

Tensor custom_gradient(const std::vector<Tensor>& inputs,
                       const std::function<CustomGradient(const std::vector<Tensor>&)>& forward) {
  CustomGradient result;
  {
    detail::PauseAllTapes pause;
    result = forward(inputs);
  }
  SPOOL_CHECK(result.output.defined() && result.gradient, InvalidArgument,
              "custom_gradient: the function must return an output and a gradient function");
  // An output that is one of the inputs would already be tracked as that input and
  // skip the user's gradient: give it an identity of its own.
  Tensor y = result.output;
  for (const Tensor& in : inputs)
    if (in.defined() && detail::key_of(in) == detail::key_of(y)) y = stop_gradient(y);
  Recording rec{std::span<const Tensor>(inputs)};
  if (rec)
    rec.record(y, [gradient = std::move(result.gradient), n = inputs.size()](GradContext& g) {
      std::vector<Tensor> dx = gradient(g.dy());
      SPOOL_CHECK(dx.size() == n, InvalidArgument, "custom_gradient: the gradient function returned ", dx.size(),
                  " tensors for ", n, " inputs");
      for (std::size_t i = 0; i < n; ++i)
        if (g.needs(i)) g.dx(i) = std::move(dx[i]);
    });
  return y;
}

}  // namespace spool::autodiff
