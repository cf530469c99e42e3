// spool train: the README's main job. Trains the course's CNN (or an MLP) on
// Fashion-MNIST from Debian's dataset-fashion-mnist package by default, or on an image
// folder (horses-vs-humans), shows Keras-style progress, evaluates on the held-out set
// and ends with the line "test accuracy: 0.XXXX". With --out it writes metrics.jsonl,
// checkpoint.tensors and curves.png there after every epoch, and --resume continues a
// run from them (same flags), giving the weights an uninterrupted run would have.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <thread>
#include <tuple>

#include "abandoned_temporaries.h"
#include "cli_common.h"
#include "spool/autodiff/checkpoint.h"
#include "spool/autodiff/optim/adam.h"
#include "spool/data/sources/image_folder_dataset.h"
#include "spool/distribute/callbacks.h"
#include "spool/distribute/curves_png.h"
#include "spool/distribute/metrics_jsonl.h"
#include "spool/distribute/mpi_worker_group.h"
#include "spool/distribute/strategy.h"
#include "spool/distribute/thread_tuner.h"
#include "spool/tensor/thread_pool.h"
#include "subcommands.h"
#include "train_flags.h"
#include "train_setup.h"

namespace spool::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

constexpr std::string_view kUsage =
    "usage: spool train [--dataset fashion-mnist|horses-or-humans] [--data DIR] [--model cnn|mlp]\n"
    "                   [--epochs N] [--batch-size N] [--lr X] [--lr-schedule constant|cosine]\n"
    "                   [--decay-epochs N] [--seed S] [--threads N] [--replicas N] [--out DIR [--resume]]\n"
    "                   [--strategy mirrored|parameter-server [--ps N] [--workers N] [--max-staleness S]\n"
    "                   [--staleness-aware]] [--slow-worker W:F]\n"
    "                   [--image-size N] [--interpolation bilinear|area|bicubic|nearest]\n"
    "                   [--color-mode rgb|grayscale] [--graph|--no-graph] [--dump-graph FILE]\n"
    "\n"
    "Trains with Adam on logits (sparse categorical cross-entropy for Fashion-MNIST's ten\n"
    "classes, binary cross-entropy for a two-class image folder), evaluates on the held-out\n"
    "set after every epoch and prints \"test accuracy: 0.XXXX\" last.\n"
    "Learning rate: the cnn starts at 3e-3 and follows a cosine decay to 0 over --decay-epochs\n"
    "(default: --epochs); the mlp keeps 1e-3 (--lr-schedule constant), as the course does.\n"
    "  fashion-mnist     DIR has the IDX files (train-*, t10k-*, .gz or raw); default\n"
    "                    /usr/share/datasets/fashion-mnist (Debian: dataset-fashion-mnist).\n"
    "                    The validation set is the test set.\n"
    "  horses-or-humans  DIR has train/ and validation/ with one sub-folder per class;\n"
    "                    images become NxN (--image-size, default 48) by --interpolation\n"
    "                    (default area, which averages every pixel; Keras' is bilinear) in\n"
    "                    --color-mode (default grayscale: colour misleads on the shared\n"
    "                    data); 15 epochs of batch 32 unless told otherwise.\n"
    "Models: cnn (default) is the course's Conv32-Pool-Conv64-Pool-Dense128 (three conv\n"
    "blocks 16-32-64 for images); mlp is Flatten-Dense128-Dense.\n"
    "--out DIR writes, after every epoch: metrics.jsonl (one JSON object per epoch: epoch,\n"
    "loss, accuracy, val_loss, val_accuracy, examples_per_sec, seconds, step),\n"
    "checkpoint.tensors (weights, optimizer state, step and the data iterator's position)\n"
    "and curves.png (loss and accuracy per epoch), each whole or not at all and synced to\n"
    "disk. --resume continues from them up to --epochs in all, also after the first run was\n"
    "killed (kill -9, a power loss): give the same flags as the first run.\n"
    "Same seed and thread count: the same weights and accuracy, digit for digit.\n"
    "--threads auto measures a window of steps with each of a few kernel thread counts\n"
    "(the cores, one fewer, half) after 5 warm-up steps and keeps the fastest; it prints\n"
    "the count kept, which --threads N repeats exactly.\n"
    "Replicas: --replicas N trains N replicas in this process (MirroredStrategy), each with\n"
    "--threads / N kernel threads; started by mpirun (mpirun -np K spool train ...) it trains\n"
    "on K workers (MultiWorkerMirroredStrategy, --replicas per worker, default 1), with no\n"
    "other flag. --batch-size is the global batch, split among all replicas, so every\n"
    "replica count trains the same model; worker 0 alone prints and writes --out.\n"
    "Parameter servers (--strategy parameter-server): asynchronous training. --ps N servers\n"
    "hold the weights (default 1); workers pull them, compute a gradient on a --batch-size\n"
    "batch of their own shard of the data and push it, and the servers apply each gradient\n"
    "as it comes. In one process --workers N threads (default 2) and the servers in memory;\n"
    "under mpirun rank 0 coordinates, ranks 1..N serve and the rest are workers. An update's\n"
    "staleness is the number of updates other workers applied between its read and its\n"
    "apply: --max-staleness S makes a worker that runs ahead wait so that none is staler\n"
    "than S; --staleness-aware divides the learning rate by 1 + staleness. An epoch is the\n"
    "same number of updates as a synchronous epoch has steps. metrics.jsonl gains\n"
    "staleness_mean, staleness_max and staleness_K (updates K versions stale that epoch),\n"
    "and curves.png a staleness histogram. --slow-worker W:F makes worker W (or, with\n"
    "--replicas, replica W) F times slower: the straggler experiment of docs/distributed.md.\n"
    "Graph mode (the default; --no-graph turns it off): the training step is traced once per\n"
    "batch shape and replayed with no tape and no allocation, to the same numbers as eager\n"
    "steps. --dump-graph FILE writes the traced step's plan (ops, shapes, buffers) after\n"
    "training, as Graphviz when FILE ends in .dot (with one replica; each of several replicas\n"
    "replays a plan of its own, the gradients' all-reduce one of its nodes).";


Flags read_flags(const po::variables_map& vm) {
  Flags f;
  f.dataset = vm["dataset"].as<std::string>();
  if (f.dataset != "fashion-mnist" && f.dataset != "horses-or-humans") {
    throw UsageError("--dataset must be fashion-mnist or horses-or-humans, not '" + f.dataset + "'");
  }
  f.data = vm.count("data") ? vm["data"].as<std::string>() : "";
  if (f.data.empty()) {
    if (f.dataset != "fashion-mnist") throw UsageError("--dataset horses-or-humans needs --data DIR");
    f.data = kFashionDir;
  }
  f.model = vm["model"].as<std::string>();
  if (f.model != "cnn" && f.model != "mlp") throw UsageError("--model must be cnn or mlp, not '" + f.model + "'");
  const bool images = f.dataset == "horses-or-humans";
  // 300 images make 10 steps an epoch: the course trains horses-or-humans 15 epochs.
  f.epochs = vm.count("epochs") ? vm["epochs"].as<int>() : (images ? 15 : 5);
  if (f.epochs < 1 || f.epochs > 100000) throw UsageError("--epochs must be in 1..100000");
  // Batch 32 for the small image folder: twice the steps, 0.905 against 0.884 mean (batch 64).
  f.batch_size = vm.count("batch-size") ? vm["batch-size"].as<std::int64_t>() : (f.model == "mlp" || images ? 32 : 64);
  if (f.batch_size < 1 || f.batch_size > 65536) throw UsageError("--batch-size must be in 1..65536");
  // The cnn's recipe: a larger start and a cosine decay over the run reach 0.89-0.90 after
  // two epochs where a constant 1e-3 reaches 0.88-0.89 (README, training quality).
  const bool cnn = f.model == "cnn";
  f.lr = vm.count("lr") ? vm["lr"].as<double>() : (cnn ? 3e-3 : 1e-3);
  if (!(f.lr > 0 && f.lr < 10)) throw UsageError("--lr must be in (0, 10)");
  f.lr_schedule = vm.count("lr-schedule") ? vm["lr-schedule"].as<std::string>() : (cnn ? "cosine" : "constant");
  if (f.lr_schedule != "constant" && f.lr_schedule != "cosine") {
    throw UsageError("--lr-schedule must be constant or cosine, not '" + f.lr_schedule + "'");
  }
  f.decay_epochs = vm.count("decay-epochs") ? vm["decay-epochs"].as<int>() : f.epochs;
  if (f.decay_epochs < 1 || f.decay_epochs > 100000) throw UsageError("--decay-epochs must be in 1..100000");
  if (vm.count("decay-epochs") && f.lr_schedule != "cosine") {
    throw UsageError("--decay-epochs needs --lr-schedule cosine");
  }
  f.seed = vm["seed"].as<std::uint64_t>();
  // hardware_concurrency() may be 0 ("unknown"): then one thread. Workers that mpirun
  // starts on one machine share its cores.
  const std::string threads = vm.count("threads") ? vm["threads"].as<std::string>() : "";
  f.threads_auto = threads == "auto";
  if (threads.empty() || f.threads_auto) {
    f.threads = std::max(1, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) /
                                distribute::local_workers());
  } else {
    try {
      std::size_t used = 0;
      f.threads = std::stoi(threads, &used);
      if (used != threads.size()) throw std::invalid_argument(threads);
    } catch (const std::logic_error&) {
      throw UsageError("--threads must be a count or auto, not '" + threads + "'");
    }
    if (f.threads < 1 || f.threads > 1024) throw UsageError("--threads must be in 1..1024");
  }
  f.replicas = vm.count("replicas") ? vm["replicas"].as<int>() : 1;
  if (f.replicas < 1 || f.replicas > 1024) throw UsageError("--replicas must be in 1..1024");
  f.strategy = vm["strategy"].as<std::string>();
  if (f.threads_auto && (f.replicas > 1 || f.strategy == "parameter-server")) {
    throw UsageError("--threads auto tunes one replica's kernel pool: it needs --replicas 1 and the mirrored strategy");
  }
  if (f.strategy != "mirrored" && f.strategy != "parameter-server") {
    throw UsageError("--strategy must be mirrored or parameter-server, not '" + f.strategy + "'");
  }
  const bool ps = f.strategy == "parameter-server";
  for (const char* flag : {"ps", "workers", "max-staleness", "staleness-aware"}) {
    if (vm.count(flag) && !ps) throw UsageError(std::string("--") + flag + " needs --strategy parameter-server");
  }
  if (ps && vm.count("replicas")) throw UsageError("--replicas is for --strategy mirrored; parameter servers take --workers");
  f.servers = vm.count("ps") ? vm["ps"].as<int>() : 1;
  if (f.servers < 1 || f.servers > 1024) throw UsageError("--ps must be in 1..1024");
  f.workers = vm.count("workers") ? vm["workers"].as<int>() : 2;
  if (f.workers < 1 || f.workers > 1024) throw UsageError("--workers must be in 1..1024");
  if (vm.count("workers") && distribute::launched_by_mpi()) {
    throw UsageError("--workers is for one process; under mpirun every rank past 0 and the servers is a worker");
  }
  if (vm.count("max-staleness")) {
    f.max_staleness = vm["max-staleness"].as<int>();
    if (*f.max_staleness < 0 || *f.max_staleness > 1000000) throw UsageError("--max-staleness must be in 0..1000000");
  }
  f.staleness_aware = vm.count("staleness-aware") > 0;
  if (vm.count("slow-worker")) {
    const std::string v = vm["slow-worker"].as<std::string>();
    const std::size_t colon = v.find(':');
    try {
      std::size_t used = 0, used2 = 0;
      f.slow_worker = std::stoi(v.substr(0, colon), &used);
      f.slow_factor = std::stod(v.substr(colon + 1), &used2);
      if (colon == std::string::npos || used != colon || used2 != v.size() - colon - 1) throw std::invalid_argument(v);
    } catch (const std::logic_error&) {
      throw UsageError("--slow-worker must be W:F (worker W, F times slower), not '" + v + "'");
    }
    if (f.slow_worker < 0 || !(f.slow_factor >= 1 && f.slow_factor <= 1000)) {
      throw UsageError("--slow-worker W:F needs W >= 0 and F in 1..1000, not '" + v + "'");
    }
    const int count = distribute::launched_by_mpi() ? 1 << 20 : (ps ? f.workers : f.replicas);
    if (f.slow_worker >= count) {
      throw UsageError("--slow-worker " + v + ": there are only " + std::to_string(count) +
                       (ps ? " workers" : " replicas (--replicas)"));
    }
  }
  if (vm.count("graph") && vm.count("no-graph")) throw UsageError("--graph and --no-graph: choose one");
  f.graph = vm.count("no-graph") == 0;
  f.dump_graph = vm.count("dump-graph") ? vm["dump-graph"].as<std::string>() : "";
  if (!f.dump_graph.empty() && !f.graph) throw UsageError("--dump-graph needs graph mode (drop --no-graph)");
  f.out = vm.count("out") ? vm["out"].as<std::string>() : "";
  f.resume = vm.count("resume") > 0;
  if (f.resume && f.out.empty()) throw UsageError("--resume needs --out DIR (where the checkpoint is)");
  if ((vm.count("image-size") || vm.count("interpolation") || vm.count("color-mode")) && !images) {
    throw UsageError("--image-size, --interpolation and --color-mode are for --dataset horses-or-humans");
  }
  if (vm.count("image-size")) f.image.image_size = vm["image-size"].as<std::int64_t>();
  if (f.image.image_size < 8 || f.image.image_size > 4096) throw UsageError("--image-size must be in 8..4096");
  if (vm.count("interpolation")) f.image.interpolation = vm["interpolation"].as<std::string>();
  try {
    data::ImageFolderOptions().interpolation(f.image.interpolation);  // the methods the folder knows
  } catch (const InvalidArgument&) {
    throw UsageError("--interpolation must be bilinear, area, bicubic or nearest, not '" + f.image.interpolation + "'");
  }
  if (vm.count("color-mode")) f.image.color_mode = vm["color-mode"].as<std::string>();
  if (f.image.color_mode != "rgb" && f.image.color_mode != "grayscale") {
    throw UsageError("--color-mode must be rgb or grayscale, not '" + f.image.color_mode + "'");
  }
  return f;
}

// Redraws OUT/curves.png from the whole history at every epoch's end.
class CurvesCallback : public distribute::Callback {
 public:
  CurvesCallback(std::string path, std::vector<distribute::EpochLogs> history)
      : path_(std::move(path)), history_(std::move(history)) {}
  void on_epoch_end(const distribute::EpochLogs& logs, distribute::Trainer&) override {
    history_.push_back(logs);
    distribute::write_curves_png(path_, loss_and_accuracy_panels(history_));
  }

 private:
  std::string path_;
  std::vector<distribute::EpochLogs> history_;
};

}  // namespace

// The data sets say InvalidArgument for files they cannot use (300 images but 299
// labels, a folder without exactly two classes): for the command that is bad data
// (exit 1), not bad usage (exit 2), whatever the flags.
TrainData load_data(const Flags& f) {
  try {
    return f.dataset == "fashion-mnist"
               ? fashion_mnist_data(f.data, f.batch_size, f.seed)
               : image_folder_data(f.data, f.batch_size, f.seed, f.image, std::max(1, f.threads));
  } catch (const InvalidArgument& e) {
    throw Error(e.what());
  }
}


LearningRateChoice learning_rate(const Flags& f, const TrainData& data) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "lr %g", f.lr);
  if (f.lr_schedule == "constant") return {autodiff::AdamOptions().learning_rate(f.lr), lr};
  const std::int64_t steps = (data.train_examples + f.batch_size - 1) / f.batch_size * f.decay_epochs;
  return {autodiff::AdamOptions().learning_rate(std::make_shared<const autodiff::CosineDecay>(
              autodiff::CosineDecay::Options().initial_learning_rate(f.lr).decay_steps(steps))),
          std::string(lr) + ", cosine decay to 0 over " + std::to_string(f.decay_epochs) + " epochs (" +
              std::to_string(steps) + " steps)"};
}

// How an image folder's pictures were prepared, in the checkpoint: a program that
// classifies with it (examples/classify) must prepare its images the same way.
std::optional<autodiff::ImageInput> image_input(const Flags& f) {
  if (f.dataset != "horses-or-humans") return std::nullopt;
  return f.image;
}

autodiff::RunInfo run_info(const Flags& f, const TrainData& data, const LearningRateChoice& lr) {
  autodiff::RunInfo info;
  info.model = f.model + "/" + data.name;
  info.learning_rate = lr.description;
  info.image_input = image_input(f);
  return info;
}

void check_resumable(const Flags& f, const TrainData& data, const LearningRateChoice& lr) {
  SPOOL_CHECK(autodiff::checkpoint_exists(f.out), IoError, "--resume: no checkpoint in ", quoted(f.out), " (",
              quoted(autodiff::checkpoint_path(f.out)), " is missing)");
  // What the checkpoint holds first: another model's checkpoint deserves that answer,
  // not the first variable it lacks (restoring no variables reads the rest only).
  const autodiff::RunInfo saved = autodiff::restore_checkpoint(f.out, {}, nullptr).info;
  SPOOL_CHECK(saved.model.empty() || saved.model == f.model + "/" + data.name, InvalidArgument,
              "--resume: the checkpoint in ", quoted(f.out), " is of ", saved.model, ", not ", f.model, "/", data.name);
  // Another learning rate would make the resumed steps those of no run at all.
  SPOOL_CHECK(saved.learning_rate.empty() || saved.learning_rate == lr.description, InvalidArgument,
              "--resume: the checkpoint in ", quoted(f.out), " was trained with Adam ", saved.learning_rate, ", not ",
              lr.description, " (give the first run's --lr, --lr-schedule and --decay-epochs)");
  // So would other pixels; interpolation changes no shape, so no variable would object.
  // A checkpoint that does not say was trained on ImageInput's defaults.
  if (const std::optional<autodiff::ImageInput> input = image_input(f)) {
    const autodiff::ImageInput was = saved.image_input.value_or(autodiff::ImageInput{});
    for (const auto& [key, then, now] :
         {std::tuple{"image_size", std::to_string(was.image_size), std::to_string(input->image_size)},
          std::tuple{"color_mode", was.color_mode, input->color_mode},
          std::tuple{"interpolation", was.interpolation, input->interpolation}}) {
      SPOOL_CHECK(then == now, InvalidArgument, "--resume: the checkpoint in ", quoted(f.out), " was trained with ",
                  key, " ", then, ", not ", now, " (give the first run's --image-size, --interpolation and --color-mode)");
    }
  }
}

std::vector<distribute::CurvePanel> loss_and_accuracy_panels(const std::vector<distribute::EpochLogs>& history) {
  std::vector<double> l, vl, a, va;
  // A history line without an accuracy (not one spool train wrote) draws as a gap.
  const auto value = [](const distribute::EpochLogs& e, const char* name) {
    return e.has(name) ? e.value(name) : std::numeric_limits<double>::quiet_NaN();
  };
  for (const auto& e : history) {
    l.push_back(e.loss), vl.push_back(e.val_loss), a.push_back(value(e, "accuracy"));
    va.push_back(value(e, "val_accuracy"));
  }
  return {{"loss", {{"train", l, distribute::kTrainColor}, {"validation", vl, distribute::kValidationColor}}},
          {"accuracy", {{"train", a, distribute::kTrainColor}, {"validation", va, distribute::kValidationColor}}}};
}

namespace {

// The same for the header: " · 48x48 grayscale (area)", or nothing for IDX data.
std::string image_input_note(const Flags& f) {
  if (f.dataset != "horses-or-humans") return "";
  const std::string side = std::to_string(f.image.image_size);
  return " · " + side + "x" + side + " " + f.image.color_mode + " (" + f.image.interpolation + ")";
}

// The strategy the flags and the launcher ask for: mpirun's workers, else --replicas
// in this process, else one device.
std::unique_ptr<distribute::Strategy> make_strategy(const Flags& f) {
  if (distribute::launched_by_mpi()) return std::make_unique<distribute::MultiWorkerMirroredStrategy>(f.replicas);
  if (f.replicas > 1) return std::make_unique<distribute::MirroredStrategy>(f.replicas);
  return std::make_unique<distribute::OneDeviceStrategy>();
}

// --dump-graph FILE: the traced step's plan as text, or as Graphviz when FILE ends in
// .dot or .gv.
// "kernel threads: auto kept N (N: R steps/s, M: R steps/s)", each count measured with its rate.
std::string describe_tuning(const distribute::KernelThreadTuner& tuner) {
  std::string out = "kernel threads: auto kept " + std::to_string(tuner.chosen().value_or(0)) + " (";
  for (const distribute::KernelThreadTuner::Trial& t : tuner.trials()) {
    char rate[64];
    std::snprintf(rate, sizeof rate, "%s%d: %.1f steps/s", &t == tuner.trials().data() ? "" : ", ", t.threads,
                  t.steps_per_second);
    out += rate;
  }
  if (tuner.trials().empty()) out += "training ended before a window was measured";
  return out + ")";
}

void write_graph_dump(const std::string& file, const distribute::Trainer& trainer) {
  const std::string plan = trainer.graph_plan();
  SPOOL_CHECK(!plan.empty(), InvalidArgument, "--dump-graph ", file,
              ": no single-replica step was traced (under several replicas each has a plan of its own)");
  const std::string ext = fs::path(file).extension().string();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << (ext == ".dot" || ext == ".gv" ? trainer.graph_dot() : plan);
  out.close();
  SPOOL_CHECK(out.good(), IoError, "--dump-graph: cannot write ", file);
}

int train_under(const Flags& f, distribute::Strategy* strategy) {
  const auto scope = strategy->scope();
  const bool chief = strategy->is_chief();
  const TrainData data = load_data(f);
  layers::Sequential model = make_model(f.model, data, f.seed);
  const std::unique_ptr<losses::Loss> loss = make_loss(data);
  const LearningRateChoice lr = learning_rate(f, data);
  autodiff::Adam adam(lr.options);
  distribute::Trainer trainer(model, *loss, adam, {"accuracy"});
  trainer.set_graph(f.graph);

  if (chief) {
    std::printf("spool train: %s (%lld train, %lld %s)%s · model %s · %d epochs · batch %lld · Adam %s · seed %llu · "
                "%d threads\n",
                data.name.c_str(), static_cast<long long>(data.train_examples),
                static_cast<long long>(data.validation_examples),
                data.name == "fashion-mnist" ? "test" : "validation",
                image_input_note(f).c_str(), f.model.c_str(), f.epochs,
                static_cast<long long>(f.batch_size), lr.description.c_str(), static_cast<unsigned long long>(f.seed),
                f.threads);
    if (strategy->num_replicas_in_sync() > 1) {
      std::printf("strategy %s · global batch %lld, about %lld per replica\n", strategy->describe().c_str(),
                  static_cast<long long>(f.batch_size),
                  static_cast<long long>(f.batch_size / strategy->num_replicas_in_sync()));
    }
    std::cout << model.summary() << std::flush;
  }

  distribute::FitOptions options;
  options.epochs(f.epochs).validation(data.validation).seed(f.seed).progress_stream(&std::cout);
  if (!f.out.empty()) {
    fs::create_directories(f.out);
    if (chief) remove_abandoned_temporaries(f.out);  // a killed run's half-written files
    const std::string metrics = (fs::path(f.out) / "metrics.jsonl").string();
    std::vector<distribute::EpochLogs> history;
    if (f.resume) {
      check_resumable(f, data, lr);
      autodiff::TrainingState state = autodiff::restore_checkpoint(f.out, model.variables(), &adam);
      const int done = static_cast<int>(state.epoch);
      history = distribute::keep_epochs_up_to(metrics, done);
      if (chief) std::printf("resuming after epoch %d (step %lld)\n", done, static_cast<long long>(state.step));
      options.resume_from(std::move(state));
    }
    // Worker 0 writes the files (ModelCheckpoint knows it by itself).
    if (chief) options.callback(std::make_shared<distribute::MetricsJsonl>(metrics, /*append=*/f.resume));
    options.callback(std::make_shared<distribute::ModelCheckpoint>(f.out, 0, run_info(f, data, lr)));
    if (chief) options.callback(std::make_shared<CurvesCallback>((fs::path(f.out) / "curves.png").string(), history));
  }
  std::shared_ptr<distribute::KernelThreadTuner> tuner;
  if (f.threads_auto) {
    tuner = std::make_shared<distribute::KernelThreadTuner>(distribute::KernelThreadTuner::candidates_for(f.threads));
    options.callback(tuner);
  }
  trainer.fit(data.train, options);
  if (tuner && chief) std::printf("%s\n", describe_tuning(*tuner).c_str());
  if (!f.dump_graph.empty() && chief) write_graph_dump(f.dump_graph, trainer);
  const distribute::EpochLogs test = trainer.evaluate(data.validation);
  if (chief) std::printf("test accuracy: %.4f\n", test.value("accuracy"));
  return kExitOk;
}

int train(const Flags& f) {
  set_num_threads(f.threads);
  if (f.strategy == "parameter-server") return train_parameter_server(f);
  const std::unique_ptr<distribute::Strategy> strategy = make_strategy(f);
  if (f.slow_worker >= 0) {
    // W counts the replicas of the whole job: the worker holding it slows it.
    const int local = f.slow_worker - strategy->worker_rank() * strategy->local_replicas();
    if (local >= 0 && local < strategy->local_replicas()) strategy->slow_replica(local, f.slow_factor);
  }
  try {
    return train_under(f, strategy.get());
  } catch (const std::exception& e) {
    // The other workers wait in a collective this one will never enter: end the job
    // (MPI_Abort, naming this worker and the cause) rather than let them hang.
    if (strategy->workers().size() > 1) strategy->workers().abort_job(e.what());
    throw;
  }
}

}  // namespace

int run_train(const Args& args) {
  return run_command("train", [&] {
    po::options_description options("options");
    options.add_options()
        ("dataset", po::value<std::string>()->default_value("fashion-mnist")->value_name("NAME"),
         "fashion-mnist|horses-or-humans")
        ("data", po::value<std::string>()->value_name("DIR"), "where the data set is")
        ("model", po::value<std::string>()->default_value("cnn")->value_name("KIND"), "cnn|mlp")
        ("epochs", po::value<int>()->value_name("N"), "epochs in all (default 5, horses-or-humans 15)")
        ("batch-size", po::value<std::int64_t>()->value_name("N"),
         "examples per step (default 64 cnn, 32 mlp and horses-or-humans)")
        ("lr", po::value<double>()->value_name("X"), "Adam's (initial) learning rate (default 3e-3 cnn, 1e-3 mlp)")
        ("lr-schedule", po::value<std::string>()->value_name("KIND"),
         "constant|cosine: decay to 0 over --decay-epochs (default cosine for cnn, constant for mlp)")
        ("decay-epochs", po::value<int>()->value_name("N"), "the cosine decay's length (default: --epochs)")
        ("seed", po::value<std::uint64_t>()->default_value(42)->value_name("S"),
         "initial weights, shuffling and dropout")
        ("threads", po::value<std::string>()->value_name("N|auto"), "kernel threads (default: the cores, shared among mpirun's workers; auto: measured)")
        ("replicas", po::value<int>()->value_name("N"), "replicas in this process (MirroredStrategy; per worker under mpirun)")
        ("strategy", po::value<std::string>()->default_value("mirrored")->value_name("NAME"),
         "mirrored (synchronous all-reduce) | parameter-server (asynchronous)")
        ("ps", po::value<int>()->value_name("N"), "parameter servers (default 1)")
        ("workers", po::value<int>()->value_name("N"), "parameter-server workers in this process (default 2)")
        ("max-staleness", po::value<int>()->value_name("S"), "no update staler than S (default: no bound)")
        ("staleness-aware", "divide the learning rate by 1 + staleness")
        ("slow-worker", po::value<std::string>()->value_name("W:F"), "worker (or replica) W is F times slower")
        ("out", po::value<std::string>()->value_name("DIR"), "write metrics.jsonl, checkpoint.tensors, curves.png")
        ("resume", "continue from the checkpoint in --out")
        ("image-size", po::value<std::int64_t>()->value_name("N"), "horses-or-humans: square input side (default 48)")
        ("interpolation", po::value<std::string>()->value_name("KIND"),
         "horses-or-humans: bilinear|area|bicubic|nearest (default area)")
        ("color-mode", po::value<std::string>()->value_name("KIND"),
         "horses-or-humans: rgb|grayscale (default grayscale)")
        ("graph", "trace the training step once and replay it (the default)")
        ("no-graph", "run every step eagerly")
        ("dump-graph", po::value<std::string>()->value_name("FILE"),
         "write the traced step's plan to FILE (Graphviz when FILE ends in .dot)");
    po::variables_map vm;
    if (!parse_args(args, options, vm, kUsage, /*need_files=*/false)) return kExitOk;
    return train(read_flags(vm));
  });
}

}  // namespace spool::cli
