// The table Keras' model.summary() prints, in tf.keras 2.x's classic layout (up to
// TF 2.8): Model::summary and FunctionalModel::summary fill it.
//
//   std::string table = layers::summary_table("model", rows, /*connections=*/true, total, trainable);
//
// Two layouts, as Keras' print_summary:
// - without connections (Sequential, subclassed models, chain-shaped functional ones):
//   line length 65, columns ending at 29/55/65;
// - with "Connected to" (functional models with branches or several inputs): line
//   length 98, columns ending at 32/53/65/98, a layer's first inbound connection on
//   its row and each further one on a line of its own.
// A cell is cut to fit its column; '_' rules between rows, '=' after the header and the
// last row; row counts plain, totals with thousands commas. One line per '\n'.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spool/autodiff/layers/layer.h"

namespace spool::layers {

struct SummaryRow {
  std::string layer;  // "dense (Dense)"
  std::string output_shape;
  std::int64_t params = 0;
  std::vector<std::string> connected_to;  // "dense[0][0]"; used with connections only
};

std::string summary_table(const std::string& model_name, const std::vector<SummaryRow>& rows, bool connections,
                          std::int64_t total_params, std::int64_t trainable_params);

// A built layer's row without connections: "<name> (<type>)", its output shape (an
// InputLayer's in a list, "[(None, 8)]", as Keras prints it) and its parameter count.
SummaryRow summary_row(const Layer& layer);

}  // namespace spool::layers
