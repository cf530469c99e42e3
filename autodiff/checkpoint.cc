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
constexpr const char* kMetadataPrefix = "metadata/";
constexpr const char* kStep = "step";
constexpr const char* kIteratorState = "iterator_state";

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
  entries.push_back({kStep, Tensor::scalar<std::int64_t>(state.step)});
  entries.push_back({kIteratorState, Tensor::from_bytes(state.iterator_state)});
  for (const auto& [key, value] : state.metadata) entries.push_back({kMetadataPrefix + key, Tensor::from_bytes(value)});
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
  auto find = [&](const char* name) -> const Tensor& {
    auto it = by_name.find(name);
    SPOOL_CHECK(it != by_name.end(), InvalidArgument, "restore_checkpoint: ", quoted(path), " has no ",
                quoted(name), ": not a checkpoint");
    return *it->second;
  };
  const Tensor& step = find(kStep);
  const Tensor& iterator_state = find(kIteratorState);
  SPOOL_CHECK(step.dtype() == DType::kI64 && step.numel() == 1, InvalidArgument, "restore_checkpoint: ",
              quoted(path), ": 'step' must be one i64, got ", description(step));
  SPOOL_CHECK(iterator_state.dtype() == DType::kU8, InvalidArgument, "restore_checkpoint: ", quoted(path),
              ": 'iterator_state' must be u8, got ", description(iterator_state));

  if (optimizer != nullptr) {
    optimizer->build(trainable(variables));
    optimizer->load_state(entries);  // checks all before writing; throws with variables untouched
  }
  for (std::size_t i = 0; i < variables.size(); ++i) {
    Variable handle = variables[i];  // a copy shares the variable; assign is not const
    handle.assign(*saved[i]);
  }

  TrainingState out;
  out.step = step.item<std::int64_t>();
  out.iterator_state = std::string(iterator_state.as_string_view());
  for (const NamedTensor& e : entries) {
    if (e.name.starts_with(kMetadataPrefix))
      out.metadata[e.name.substr(std::string_view(kMetadataPrefix).size())] = std::string(e.tensor.as_string_view());
  }
  return out;
}

}  // namespace spool::autodiff
