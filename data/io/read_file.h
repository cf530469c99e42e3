// read_file: a whole file as a 1-D u8 Tensor, as tf.io.read_file.
//
//   Tensor png = read_file("horses/horse01-0.png");
//   Tensor image = decode_image(png.as_string_view(), "horses/horse01-0.png");
//
// Errors: IoError naming the path when the file cannot be opened or read, when it is
// not a regular file (a folder, a pipe), or when its size changes while it is read.
// Thread-safety: a pure function of the file; safe from any thread.
#pragma once

#include <string>

#include "spool/tensor/tensor.h"

namespace spool::data {

Tensor read_file(const std::string& path);

}  // namespace spool::data
