#include "spool/autodiff/checkpoint.h"

#include <filesystem>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "spool/tensor/tensor_file.h"

namespace spool::autodiff {
namespace {

constexpr const char* kVariablePrefix = "variables/";

void check_unique_names(std::span<const Variable> variables, const char* op) {
  std::unordered_set<std::string> names;
  for (const Variable& v : variables)
    SPOOL_CHECK(names.insert(v.name()).second, InvalidArgument, op, ": two variables are named ", quoted(v.name()),
                "; checkpoints match variables by name");
}

std::vector<Variable> trainable(std::span<const Variable> variables) {
  std::vector<Variable> out;
  for (const Variable& v : variables)
    if (v.trainable()) out.push_back(v);
  return out;
}

std::string description(const Tensor& t) { return std::string(dtype_name(t.dtype())) + " " + t.shape().to_string(); }

}  // namespace

std::string checkpoint_path(const std::string& dir) { return (std::filesystem::path(dir) / "checkpoint.tensors").string(); }

bool checkpoint_exists(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(checkpoint_path(dir), ec);
}

void save_checkpoint(const std::string& dir, std::span<const Variable> variables, Optimizer* optimizer,
                     const TrainingState& state) {
  check_unique_names(variables, "save_checkpoint");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  SPOOL_CHECK(!ec, IoError, "save_checkpoint: cannot create ", quoted(dir), ": ", ec.message());

  std::vector<NamedTensor> entries;
  for (const Variable& v : variables) entries.push_back({kVariablePrefix + v.name(), v.unwatched_value()});
  if (optimizer != nullptr) {
    optimizer->build(trainable(variables));
    for (NamedTensor& t : optimizer->state()) entries.push_back(std::move(t));
  }
  for (NamedTensor& t : training_state_entries(state)) entries.push_back(std::move(t));
  save_tensors(checkpoint_path(dir), entries);
}

TrainingState restore_checkpoint(const std::string& dir, std::span<const Variable> variables, Optimizer* optimizer) {
  check_unique_names(variables, "restore_checkpoint");
  const std::string path = checkpoint_path(dir);
  const std::vector<NamedTensor> entries = load_tensors(path);
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const NamedTensor& e : entries) by_name[e.name] = &e.tensor;

  std::vector<const Tensor*> saved;
  for (const Variable& v : variables) {
    auto it = by_name.find(kVariablePrefix + v.name());
    SPOOL_CHECK(it != by_name.end(), InvalidArgument, "restore_checkpoint: ", quoted(path), " has no variable ",
                quoted(v.name()), " (", description(v.unwatched_value()), " here)");
    const Tensor& t = *it->second;
    SPOOL_CHECK(t.dtype() == v.dtype() && t.shape() == v.shape(), InvalidArgument, "restore_checkpoint: variable ",
                quoted(v.name()), " is ", description(t), " in ", quoted(path), " but ",
                description(v.unwatched_value()), " here");
    saved.push_back(&t);
  }
  TrainingState out = read_training_state(entries, path);  // checked before anything changes
  if (optimizer != nullptr) {
    optimizer->build(trainable(variables));
    optimizer->load_state(entries);  // checks all before writing; throws with variables untouched
  }
  for (std::size_t i = 0; i < variables.size(); ++i) {
    Variable handle = variables[i];  // a copy shares the variable; assign is not const
    handle.assign(*saved[i]);
  }
  return out;
}

}  // namespace spool::autodiff
