// <spool/autodiff/metrics.h>: Keras' streaming metrics in namespace spool::metrics:
// the Metric interface and MeanMetric (metrics/metric.h), Mean and the sparse,
// categorical and binary accuracies (metrics/metrics.h).
//
//   metrics::SparseCategoricalAccuracy accuracy;
//   accuracy.update(labels, logits);
//   double a = accuracy.result();
//
// Thread-safety: a metric is updated by one thread at a time.
#pragma once

#include "spool/autodiff/metrics/metric.h"
#include "spool/autodiff/metrics/metrics.h"
