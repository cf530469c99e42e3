// Internal to autodiff/optim: the update loops of the optimizers, one function per
// optimizer and dtype over a contiguous run of n elements. Not a public header.
//
// Legend: p parameters, g gradient (times `scale`, the clipping factor), then the
// slots: m first moment / momentum, v second moment / velocity, vhat AMSGrad's max
// of v, avg RMSprop's centered mean gradient, acc Adagrad's accumulator. A slot an
// option does not use is nullptr. The equations are Keras 3's update_step, in the
// variable's dtype.
// Thread-safety: stateless; runs must not overlap.
#pragma once

#include <cstdint>

namespace spool::autodiff::detail {

struct SgdParams {
  double learning_rate, momentum, scale;
  bool nesterov;
};
void sgd_update(float* p, const float* g, float* m, std::int64_t n, const SgdParams& k);
void sgd_update(double* p, const double* g, double* m, std::int64_t n, const SgdParams& k);

// alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t); vhat nullptr unless amsgrad.
struct AdamParams {
  double alpha, one_minus_beta_1, one_minus_beta_2, epsilon, scale;
};
void adam_update(float* p, const float* g, float* m, float* v, float* vhat, std::int64_t n, const AdamParams& k);
void adam_update(double* p, const double* g, double* m, double* v, double* vhat, std::int64_t n,
                 const AdamParams& k);

// v velocity, avg nullptr unless centered, m nullptr unless momentum > 0.
struct RmspropParams {
  double learning_rate, rho, momentum, epsilon, scale;
};
void rmsprop_update(float* p, const float* g, float* v, float* avg, float* m, std::int64_t n,
                    const RmspropParams& k);
void rmsprop_update(double* p, const double* g, double* v, double* avg, double* m, std::int64_t n,
                    const RmspropParams& k);

struct AdagradParams {
  double learning_rate, epsilon, scale;
};
void adagrad_update(float* p, const float* g, float* acc, std::int64_t n, const AdagradParams& k);
void adagrad_update(double* p, const double* g, double* acc, std::int64_t n, const AdagradParams& k);

// Sum of g[i]^2 accumulated in f64, in a fixed order.
double sum_squares(const float* g, std::int64_t n);
double sum_squares(const double* g, std::int64_t n);

}  // namespace spool::autodiff::detail
