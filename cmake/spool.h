// <spool/spool.h>: everything Spool offers, in one include.
//
//   #include <spool/spool.h>
//   spool::data::TFRecordReader reader("train.tfrecord");
//   while (auto record = reader.next()) consume(record->data);
//
// Each header below says what it is and how it may be used across threads.
#pragma once

#include "spool/tensor/dtype.h"
#include "spool/tensor/error.h"
#include "spool/tensor/malloc_tuning.h"
#include "spool/tensor/shape.h"
#include "spool/tensor/storage.h"
#include "spool/tensor/tensor.h"

#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/custom_gradient.h"
#include "spool/autodiff/ops.h"
#include "spool/autodiff/optim.h"
#include "spool/autodiff/record.h"
#include "spool/autodiff/tape.h"
#include "spool/autodiff/variable.h"

#include "spool/data/dataset.h"
#include "spool/data/element.h"
#include "spool/data/iterator.h"
#include "spool/data/iterator_state.h"
#include "spool/data/options.h"
#include "spool/data/ops/parse_example_fn.h"
#include "spool/data/ops/parse_example_batch.h"
#include "spool/data/stats.h"
#include "spool/data/image/decode_image.h"
#include "spool/data/image/exif.h"
#include "spool/data/image/idx.h"
#include "spool/data/image/jpeg.h"
#include "spool/data/image/png.h"
#include "spool/data/sources/idx_dataset.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "spool/data/sources/list_files.h"
#include "spool/data/sources/tfrecord_dataset.h"

#include "spool/data/io/compression.h"
#include "spool/data/io/crc32c.h"
#include "spool/data/io/example.h"
#include "spool/data/io/feature_spec.h"
#include "spool/data/io/feature_view.h"
#include "spool/data/io/parse_example.h"
#include "spool/data/io/record_index.h"
#include "spool/data/io/record_options.h"
#include "spool/data/io/sequence_example.h"
#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"
#include "spool/tensor/kernels/bias_activation.h"
#include "spool/tensor/kernels/conv2d.h"
#include "spool/tensor/kernels/im2col.h"
#include "spool/tensor/kernels/pool2d.h"
#include "spool/tensor/kernels/softmax.h"
#include "spool/tensor/kernels/broadcast.h"
#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/reduce.h"
