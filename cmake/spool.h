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
#include "spool/tensor/shape.h"
#include "spool/tensor/storage.h"
#include "spool/tensor/tensor.h"
