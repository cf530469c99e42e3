// spool train --strategy parameter-server: asynchronous training through a
// ClusterCoordinator (distribute/parameter_server.h). An epoch schedules as many
// updates as a synchronous epoch has steps, each a --batch-size batch of one worker's
// own shard; after it the coordinator (worker threads' process, or rank 0 under
// mpirun) evaluates the servers' weights, logs the epoch with its staleness histogram
// and writes --out. Checkpoints are ordinary ones (the servers' weights and Adam
// state under the model's names), so they resume under any strategy; the workers'
// input restarts with a fresh shuffle on resume, as per-worker iterators are not
// saved (TensorFlow's parameter-server training does the same).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>

#include "cli_common.h"
#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/tape.h"
#include "spool/distribute/curves_png.h"
#include "spool/distribute/fit.h"
#include "spool/distribute/metrics_jsonl.h"
#include "spool/distribute/mpi_worker_group.h"
#include "spool/distribute/parameter_server.h"
#include "train_flags.h"

namespace spool::cli {
namespace {

namespace fs = std::filesystem;
using distribute::ClusterCoordinator;
using distribute::ParameterServerStrategy;
using distribute::StalenessHistogram;

// What a closure sends back: {loss × examples, correct predictions, examples}, with
// the "accuracy" the synchronous trainer logs (metric_list.h: it follows the loss).
Tensor batch_numbers(const losses::Loss& loss_fn, const Tensor& loss, const Tensor& logits, const Tensor& labels) {
  const std::shared_ptr<metrics::Metric> accuracy = distribute::resolve_metrics({"accuracy"}, loss_fn)[0];
  accuracy->update(labels, logits, Tensor());
  const auto n = static_cast<double>(logits.shape()[0]);
  return Tensor::from_vector<double>({loss.item_as_double() * n, accuracy->result() * n, n});
}

// This epoch's counts: the run's so far minus those before it.
StalenessHistogram difference(const StalenessHistogram& now, const StalenessHistogram& before) {
  StalenessHistogram out;
  for (std::int64_t s = 0; s <= now.max(); ++s) out.add(s, now.count(s) - before.count(s));
  return out;
}

// The staleness columns of an epoch's logs: mean, max and the count of each staleness.
void add_staleness(distribute::EpochLogs& logs, const StalenessHistogram& h) {
  logs.metrics.emplace_back("staleness_mean", h.mean());
  logs.metrics.emplace_back("staleness_max", static_cast<double>(std::max<std::int64_t>(h.max(), 0)));
  for (std::int64_t s = 0; s <= h.max(); ++s) logs.metrics.emplace_back("staleness_" + std::to_string(s), h.count(s));
}

// curves.png: loss and accuracy per epoch, and the run's updates by staleness.
void write_curves(const std::string& path, const std::vector<distribute::EpochLogs>& history) {
  std::vector<double> counts;
  for (const auto& e : history) {
    for (const auto& [name, v] : e.metrics) {
      if (!name.starts_with("staleness_") || name == "staleness_mean" || name == "staleness_max") continue;
      const auto s = static_cast<std::size_t>(std::stoll(name.substr(10)));
      if (counts.size() <= s) counts.resize(s + 1, 0);
      if (std::isfinite(v)) counts[s] += v;
    }
  }
  std::vector<distribute::CurvePanel> panels = loss_and_accuracy_panels(history);
  distribute::CurvePanel& staleness =
      panels.emplace_back(distribute::CurvePanel{"updates by staleness", {{"updates", counts, distribute::kTrainColor}}});
  staleness.x_label = "staleness";
  staleness.x_first = 0;
  staleness.bars = true;
  distribute::write_curves_png(path, panels);
}

int train_on(const Flags& f, ParameterServerStrategy& strategy) {
  const bool chief = strategy.is_chief();
  const TrainData data = load_data(f);
  const LearningRateChoice lr = learning_rate(f, data);
  const std::unique_ptr<losses::Loss> loss = make_loss(data);
  ClusterCoordinator coordinator(
      strategy, [&] { return std::make_unique<layers::Sequential>(make_model(f.model, data, f.seed)); },
      [&] { return std::make_unique<autodiff::Adam>(lr.options); });
  const std::int64_t steps = (data.train_examples + f.batch_size - 1) / f.batch_size;
  if (chief) {
    std::printf("spool train: %s (%lld train, %lld %s) · model %s · %d epochs · batch %lld per update · Adam %s · "
                "seed %llu · %d threads\n",
                data.name.c_str(), static_cast<long long>(data.train_examples),
                static_cast<long long>(data.validation_examples), data.name == "fashion-mnist" ? "test" : "validation",
                f.model.c_str(), f.epochs, static_cast<long long>(f.batch_size), lr.description.c_str(),
                static_cast<unsigned long long>(f.seed), f.threads);
    std::string roles;
    if (!strategy.in_process()) {
      // Which rank is which, so that mpirun's "rank 1 exited" reads as a server or a worker.
      const int servers = strategy.num_servers(), last = servers + strategy.num_workers();
      const auto span = [](int a, int b) { return a == b ? "rank " + std::to_string(a) : "ranks " + std::to_string(a) + "-" + std::to_string(b); };
      roles = " · rank 0 coordinates, " + span(1, servers) + (servers == 1 ? " serves, " : " serve, ") +
              span(servers + 1, last) + (last == servers + 1 ? " works" : " work");
    }
    std::printf("strategy %s · %lld updates an epoch%s\n", strategy.describe().c_str(), static_cast<long long>(steps),
                roles.c_str());
    std::cout << coordinator.model().summary() << std::flush;
  }

  const autodiff::RunInfo info = run_info(f, data, lr);
  const std::string metrics_path = f.out.empty() ? "" : (fs::path(f.out) / "metrics.jsonl").string();
  std::vector<distribute::EpochLogs> history;
  int done = 0;
  if (f.resume) {
    if (chief) {
      check_resumable(f, data, lr);
      const autodiff::TrainingState state =
          autodiff::restore_checkpoint(f.out, coordinator.model().variables(), &coordinator.optimizer());
      done = static_cast<int>(state.epoch);
      history = distribute::keep_epochs_up_to(metrics_path, done);
      std::printf("resuming after epoch %d (update %lld)\n", done, static_cast<long long>(state.step));
    }
    coordinator.load_servers();  // every rank: the servers take the checkpoint's values
  }
  if (!strategy.in_process()) {
    // Every rank runs the same epochs: the chief's count of those done reaches them.
    std::string count = std::to_string(done);
    distribute::mpi_world()->broadcast(count);
    done = std::stoi(count);
  }
  const auto per_worker = coordinator.create_per_worker_dataset([&](const distribute::InputContext& ctx) {
    // A resumed run shuffles anew rather than replaying the first epochs' order.
    return data.worker_train(ctx.num_input_pipelines, ctx.input_pipeline_id, done);
  });
  const distribute::WorkerFn step = [&](distribute::WorkerContext& w, data::Iterator& it) {
    const std::optional<data::Element> batch = it.next();
    SPOOL_CHECK(batch.has_value(), InternalError, "worker ", w.worker_index(), "'s pipeline ended");
    autodiff::GradientTape tape;
    const Tensor logits = w.model()((*batch)[0], {.training = true});
    const Tensor batch_loss = (*loss)((*batch)[1], logits);
    w.apply_gradients(tape.gradient(batch_loss, w.model().trainable_variables()));
    return batch_numbers(*loss, batch_loss, logits, (*batch)[1]);
  };

  std::optional<distribute::Trainer> evaluator;
  if (chief) evaluator.emplace(coordinator.model(), *loss, coordinator.optimizer(), std::vector<distribute::MetricSpec>{"accuracy"});
  std::optional<distribute::MetricsJsonl> jsonl;  // the synchronous trainer's writer; it needs no fit
  if (chief && !f.out.empty()) {
    fs::create_directories(f.out);
    jsonl.emplace(metrics_path, /*append=*/f.resume);
    jsonl->on_train_begin(*evaluator);
  }
  StalenessHistogram before = coordinator.staleness();
  double test_accuracy = std::numeric_limits<double>::quiet_NaN();
  for (int epoch = done + 1; epoch <= f.epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    std::vector<distribute::RemoteValue> values;
    values.reserve(static_cast<std::size_t>(steps));
    for (std::int64_t s = 0; s < steps; ++s) values.push_back(coordinator.schedule(step, per_worker));
    coordinator.join();
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!chief) continue;
    double loss_sum = 0, correct = 0, examples = 0;
    for (const distribute::RemoteValue& v : values) {
      const Tensor t = v.fetch();
      loss_sum += t.data<double>()[0], correct += t.data<double>()[1], examples += t.data<double>()[2];
    }
    const StalenessHistogram now = coordinator.staleness();
    const StalenessHistogram this_epoch = difference(now, before);
    before = now;
    const distribute::EpochLogs val = evaluator->evaluate(data.validation);
    distribute::EpochLogs logs;
    logs.epoch = epoch;
    logs.loss = loss_sum / examples;
    logs.metrics.emplace_back("accuracy", correct / examples);
    add_staleness(logs, this_epoch);
    logs.val_loss = val.loss;
    logs.val_metrics.emplace_back("val_accuracy", val.value("accuracy"));
    logs.examples_per_sec = examples / train_seconds;
    logs.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    logs.examples = static_cast<std::int64_t>(examples);
    logs.step = coordinator.version();
    test_accuracy = val.value("accuracy");
    std::printf("epoch %d/%d · loss %.4f · accuracy %.4f · val_loss %.4f · val_accuracy %.4f · %.0f examples/s · "
                "staleness mean %.2f, max %lld (%s)\n",
                epoch, f.epochs, logs.loss, correct / examples, val.loss, test_accuracy, logs.examples_per_sec,
                this_epoch.mean(), static_cast<long long>(std::max<std::int64_t>(this_epoch.max(), 0)),
                this_epoch.describe().c_str());
    std::fflush(stdout);
    history.push_back(logs);
    if (!jsonl) continue;
    jsonl->on_epoch_end(logs, *evaluator);
    autodiff::TrainingState state;
    state.step = coordinator.version();
    state.epoch = epoch;
    state.seed = f.seed;
    state.info = info;
    autodiff::save_checkpoint(f.out, coordinator.model().variables(), &coordinator.optimizer(), state);
    write_curves((fs::path(f.out) / "curves.png").string(), history);
  }
  if (chief) {
    if (!std::isfinite(test_accuracy)) test_accuracy = evaluator->evaluate(data.validation).value("accuracy");
    std::printf("test accuracy: %.4f\n", test_accuracy);
  }
  return kExitOk;
}

}  // namespace

int train_parameter_server(const Flags& f) {
  distribute::ParameterServerOptions options;
  options.servers(f.servers).workers(f.workers).max_staleness(f.max_staleness).scale_learning_rate(f.staleness_aware);
  if (f.slow_worker >= 0) options.slow_worker(f.slow_worker, f.slow_factor);
  const std::unique_ptr<ParameterServerStrategy> strategy =
      distribute::launched_by_mpi() ? ParameterServerStrategy::over_mpi(options)
                                    : std::make_unique<ParameterServerStrategy>(options);
  try {
    return train_on(f, *strategy);
  } catch (const std::exception& e) {
    // The other ranks wait for messages this one will never send: end the job.
    if (!strategy->in_process()) distribute::mpi_world()->abort_job(e.what());
    throw;
  }
}

}  // namespace spool::cli
