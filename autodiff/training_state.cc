#include "spool/autodiff/training_state.h"

#include <charconv>
#include <limits>

#include "spool/tensor/error.h"

namespace spool::autodiff {
namespace {

constexpr std::string_view kMetadataPrefix = "metadata/";
constexpr std::string_view kMetricsPrefix = "metrics/";
constexpr const char* kStep = "step";
constexpr const char* kIteratorState = "iterator_state";
// The metadata keys the typed fields own.
constexpr const char* kEpoch = "epoch";
constexpr const char* kEpochStep = "epoch_step";
constexpr const char* kSeed = "seed";
constexpr const char* kModel = "model";
constexpr const char* kLearningRate = "learning_rate";
constexpr const char* kImageSize = "image_size";
constexpr const char* kColorMode = "color_mode";
constexpr const char* kInterpolation = "interpolation";
constexpr const char* kTypedKeys[] = {kEpoch, kEpochStep, kSeed, kModel, kLearningRate,
                                      kImageSize, kColorMode, kInterpolation};

std::string description(const Tensor& t) { return std::string(dtype_name(t.dtype())) + " " + t.shape().to_string(); }

NamedTensor text(std::string_view key, const std::string& value) {
  return {std::string(kMetadataPrefix) + std::string(key), Tensor::from_bytes(value)};
}

// Decimal text in [min, max]; `what` says what it should have been.
template <typename T>
T parse_number(const std::string& text, T min, T max, const char* key, const char* what, const std::string& path) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  SPOOL_CHECK(ec == std::errc() && end == text.data() + text.size() && v >= min && v <= max, InvalidArgument,
              "restore_checkpoint: ", quoted(path), ": the checkpoint's ", key, " ", quoted(text), " is not ", what);
  return v;
}

}  // namespace

std::vector<NamedTensor> training_state_entries(const TrainingState& state) {
  for (const auto& [key, value] : state.info.metadata) {
    for (const char* typed : kTypedKeys) {
      SPOOL_CHECK(key != typed, InvalidArgument, "save_checkpoint: metadata key ", quoted(key),
                  " is a field of TrainingState; set it there");
    }
  }
  std::vector<NamedTensor> entries;
  entries.push_back({kStep, Tensor::scalar<std::int64_t>(state.step)});
  entries.push_back({kIteratorState, Tensor::from_bytes(state.iterator_state)});
  entries.push_back(text(kEpoch, std::to_string(state.epoch)));
  entries.push_back(text(kEpochStep, std::to_string(state.epoch_step)));
  entries.push_back(text(kSeed, std::to_string(state.seed)));
  const RunInfo& info = state.info;
  if (!info.model.empty()) entries.push_back(text(kModel, info.model));
  if (!info.learning_rate.empty()) entries.push_back(text(kLearningRate, info.learning_rate));
  if (info.image_input) {
    entries.push_back(text(kImageSize, std::to_string(info.image_input->image_size)));
    entries.push_back(text(kColorMode, info.image_input->color_mode));
    entries.push_back(text(kInterpolation, info.image_input->interpolation));
  }
  for (const auto& [key, value] : info.metadata) entries.push_back(text(key, value));
  for (const NamedTensor& m : state.metrics) entries.push_back({std::string(kMetricsPrefix) + m.name, m.tensor});
  return entries;
}

TrainingState read_training_state(std::span<const NamedTensor> entries, const std::string& path) {
  const Tensor* step = nullptr;
  const Tensor* iterator_state = nullptr;
  TrainingState out;
  std::map<std::string, std::string> metadata;
  for (const NamedTensor& e : entries) {
    if (e.name == kStep) step = &e.tensor;
    if (e.name == kIteratorState) iterator_state = &e.tensor;
    if (e.name.starts_with(kMetadataPrefix)) {
      metadata[e.name.substr(kMetadataPrefix.size())] = std::string(e.tensor.as_string_view());
    }
    if (e.name.starts_with(kMetricsPrefix)) out.metrics.push_back({e.name.substr(kMetricsPrefix.size()), e.tensor});
  }
  SPOOL_CHECK(step != nullptr, InvalidArgument, "restore_checkpoint: ", quoted(path), " has no 'step': not a checkpoint");
  SPOOL_CHECK(iterator_state != nullptr, InvalidArgument, "restore_checkpoint: ", quoted(path),
              " has no 'iterator_state': not a checkpoint");
  SPOOL_CHECK(step->dtype() == DType::kI64 && step->numel() == 1, InvalidArgument, "restore_checkpoint: ",
              quoted(path), ": 'step' must be one i64, got ", description(*step));
  SPOOL_CHECK(iterator_state->dtype() == DType::kU8, InvalidArgument, "restore_checkpoint: ", quoted(path),
              ": 'iterator_state' must be u8, got ", description(*iterator_state));
  out.step = step->item<std::int64_t>();
  out.iterator_state = std::string(iterator_state->as_string_view());

  // Each typed key is taken out of the map; what is left is the caller's own.
  const auto take = [&](const char* key) -> std::optional<std::string> {
    const auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    std::string value = std::move(it->second);
    metadata.erase(it);
    return value;
  };
  constexpr std::int64_t kMaxCount = std::numeric_limits<std::int64_t>::max();
  if (const auto v = take(kEpoch)) out.epoch = parse_number<std::int64_t>(*v, 0, kMaxCount, kEpoch, "a count", path);
  if (const auto v = take(kEpochStep)) {
    out.epoch_step = parse_number<std::int64_t>(*v, 0, kMaxCount, kEpochStep, "a count", path);
  }
  if (const auto v = take(kSeed)) {
    out.seed = parse_number<std::uint64_t>(*v, 0, std::numeric_limits<std::uint64_t>::max(), kSeed, "a seed", path);
  }
  RunInfo& info = out.info;
  info.model = take(kModel).value_or("");
  info.learning_rate = take(kLearningRate).value_or("");
  const auto size = take(kImageSize), color = take(kColorMode), interpolation = take(kInterpolation);
  if (size || color || interpolation) {
    ImageInput input;
    if (size) input.image_size = parse_number<std::int64_t>(*size, 1, 4096, kImageSize, "a side in 1..4096", path);
    if (color) input.color_mode = *color;
    if (interpolation) input.interpolation = *interpolation;
    info.image_input = input;
  }
  info.metadata = std::move(metadata);
  return out;
}

void save_metric(TrainingState& state, const metrics::Metric& metric) {
  const std::string prefix = metric.name() + "/";
  std::erase_if(state.metrics, [&](const NamedTensor& t) { return t.name.starts_with(prefix); });
  for (NamedTensor& t : metric.state()) state.metrics.push_back({prefix + t.name, std::move(t.tensor)});
}

bool restore_metric(const TrainingState& state, metrics::Metric& metric) {
  const std::string prefix = metric.name() + "/";
  std::vector<NamedTensor> mine;
  for (const NamedTensor& t : state.metrics) {
    if (t.name.starts_with(prefix)) mine.push_back({t.name.substr(prefix.size()), t.tensor});
  }
  if (mine.empty()) return false;
  metric.load_state(mine);
  return true;
}

}  // namespace spool::autodiff
