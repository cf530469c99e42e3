// custom_loop: the course's custom training loop — a tf.data-style pipeline, a
// GradientTape step, a metric updated per batch, and validation after every epoch.
//
//   spool_custom_loop [--data DIR] [--epochs N] [--train-examples N] [--test-examples N]
//
// DIR holds the Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist,
// from the Debian package dataset-fashion-mnist). Prints one line per epoch and ends
// with "validation accuracy: 0.XXXX".
//
// What it shows, in TensorFlow's words:
//   @tf.function                                # traced once per batch shape, then replayed
//   def train_step(x, y):
//     with tf.GradientTape() as tape:
//       logits = model(x, training=True)
//       loss = loss_fn(y, logits)
//     grads = tape.gradient(loss, model.trainable_weights)
//     optimizer.apply_gradients(zip(grads, model.trainable_weights))
//     return loss, logits
//   for epoch in range(epochs):
//     for x, y in train_ds:                     # a new pass each epoch: reshuffled
//       loss, logits = train_step(x, y)
//       train_acc.update_state(y, logits)
//     ... then the same metric over val_ds with training=False
#include <spool/spool.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

using namespace spool;

namespace {

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int epochs = 3;
  std::int64_t train_examples = 60000;
  std::int64_t test_examples = 10000;
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") args.data = value;
    else if (flag == "--epochs") args.epochs = std::stoi(value);
    else if (flag == "--train-examples") args.train_examples = std::stoll(value);
    else if (flag == "--test-examples") args.test_examples = std::stoll(value);
    else throw InvalidArgument("unknown flag " + flag);
  }
  if (argc % 2 == 0) throw InvalidArgument(std::string("flag ") + argv[argc - 1] + " needs a value");
  return args;
}

// u8 [N, 28, 28] pixels -> f32 [N, 28, 28, 1] in [0, 1]: x / 255 as in the course.
data::Element scale(data::Element batch) {
  const Tensor x = batch[0].cast(DType::kF32) * (1.0 / 255);
  return data::Element{x.reshape({x.dim(0), 28, 28, 1}), batch[1]};
}

int run(const Args& args) {
  const std::string dir = args.data + "/";
  const data::Dataset train_ds = data::IdxDataset(dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz")
                                     .take(args.train_examples)
                                     .shuffle(10000, /*seed=*/42)
                                     .batch(64)
                                     .map(scale)
                                     .prefetch(2);
  const data::Dataset val_ds = data::IdxDataset(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz")
                                   .take(args.test_examples)
                                   .batch(256)
                                   .map(scale);

  layers::Sequential model;
  model.add(layers::Flatten())
      .add(layers::Dense(layers::DenseOptions(128).activation("relu")))
      .add(layers::Dense(layers::DenseOptions(10)));
  model.build(Shape{28, 28, 1}, /*seed=*/42);
  const losses::SparseCategoricalCrossentropy loss_fn(losses::LossOptions().from_logits(true));
  autodiff::Adam optimizer(autodiff::AdamOptions().learning_rate(1e-3));
  metrics::SparseCategoricalAccuracy train_acc, val_acc;
  metrics::Mean train_loss;
  const std::vector<autodiff::Variable> weights = model.trainable_variables();

  Function train_step = spool::function([&](std::span<const Tensor> in) -> std::vector<Tensor> {
    autodiff::GradientTape tape;
    const Tensor logits = model(in[0], {.training = true});
    const Tensor loss = loss_fn(in[1], logits);
    optimizer.apply_gradients(tape.gradient(loss, weights), weights);
    return {loss, logits};
  });

  for (int epoch = 1; epoch <= args.epochs; ++epoch) {
    for (const data::Element& batch : train_ds.make_iterator()) {
      const std::vector<Tensor> out = train_step({batch[0], batch[1]});  // loss, logits
      train_acc.update(batch[1], out[1]);
      train_loss.update(out[0]);
    }
    for (const data::Element& batch : val_ds.make_iterator()) val_acc.update(batch[1], model(batch[0]));
    std::printf("epoch %d: loss %.4f, accuracy %.4f, validation accuracy %.4f\n", epoch, train_loss.result(),
                train_acc.result(), val_acc.result());
    if (epoch < args.epochs) {
      train_acc.reset();
      train_loss.reset();
      val_acc.reset();
    }
  }
  std::printf("validation accuracy: %.4f\n", val_acc.result());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spool_custom_loop: %s\n", e.what());
    return 1;
  }
}
