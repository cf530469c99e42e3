// <spool/autodiff/ops.h>: every op with a gradient, one header per family.
//
//   using namespace spool;
//   Tensor logits = add(matmul(x, w), b);
//   Tensor loss = neg(mean(sum(mul(labels, log_softmax(logits)), {-1})));
//
// Each op computes with the tensor/ kernel and, when an active GradientTape tracks an
// input, records its gradient (record.h explains how, for writing new ones).
#pragma once

#include "spool/autodiff/ops/activation.h"
#include "spool/autodiff/ops/arithmetic.h"
#include "spool/autodiff/ops/compare.h"
#include "spool/autodiff/ops/conv.h"
#include "spool/autodiff/ops/cross_entropy.h"
#include "spool/autodiff/ops/dense.h"
#include "spool/autodiff/ops/dropout.h"
#include "spool/autodiff/ops/gather.h"
#include "spool/autodiff/ops/math.h"
#include "spool/autodiff/ops/matmul.h"
#include "spool/autodiff/ops/pool.h"
#include "spool/autodiff/ops/reduce.h"
#include "spool/autodiff/ops/shape.h"
