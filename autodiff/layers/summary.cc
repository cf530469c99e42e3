#include "spool/autodiff/layers/summary.h"

#include <span>

namespace spool::layers {
namespace {

// 1234567 -> "1,234,567", as Python's '{:,}'.
std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Keras' print_row: each field cut to end at its column, then padded to it; a field
// after a full one replaces that one's last character with a space.
std::string table_row(const std::vector<std::string>& fields, std::span<const std::size_t> columns) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.back() = ' ';
    line += fields[i];
    line.resize(columns[i], ' ');
  }
  return line + "\n";
}

}  // namespace

std::string summary_table(const std::string& model_name, const std::vector<SummaryRow>& rows, bool connections,
                          std::int64_t total_params, std::int64_t trainable_params) {
  // int(line_length * p) for Keras' positions [.45, .85, 1] and [.33, .55, .67, 1].
  static constexpr std::size_t kSequential[] = {29, 55, 65}, kFunctional[] = {32, 53, 65, 98};
  const std::span<const std::size_t> columns = connections ? std::span<const std::size_t>(kFunctional)
                                                            : std::span<const std::size_t>(kSequential);
  const std::string rule(columns.back(), '_'), double_rule(columns.back(), '=');
  std::vector<std::string> header{"Layer (type)", "Output Shape", "Param #"};
  if (connections) header.emplace_back("Connected to");
  std::string out = "Model: \"" + model_name + "\"\n" + rule + "\n" + table_row(header, columns) + double_rule + "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SummaryRow& r = rows[i];
    std::vector<std::string> fields{r.layer, r.output_shape, std::to_string(r.params)};
    if (connections) fields.push_back(r.connected_to.empty() ? "" : r.connected_to[0]);
    out += table_row(fields, columns);
    for (std::size_t c = 1; connections && c < r.connected_to.size(); ++c)
      out += table_row({"", "", "", r.connected_to[c]}, columns);
    out += (i + 1 == rows.size() ? double_rule : rule) + "\n";
  }
  out += "Total params: " + with_commas(total_params) + "\n";
  out += "Trainable params: " + with_commas(trainable_params) + "\n";
  out += "Non-trainable params: " + with_commas(total_params - trainable_params) + "\n";
  return out + rule + "\n";
}

SummaryRow summary_row(const Layer& layer) {
  const std::string shape = batch_shape_string(layer.output_shape());
  return SummaryRow{.layer = layer.name() + " (" + layer.type() + ")",
                    .output_shape = layer.type() == "InputLayer" ? "[" + shape + "]" : shape,
                    .params = layer.count_params(),
                    .connected_to = {}};
}

}  // namespace spool::layers
