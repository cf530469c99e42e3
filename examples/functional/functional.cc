// functional: a model built with Keras' functional API — a small CNN with a residual
// block (conv → conv, added back to its input) — trained with Trainer::fit on
// Fashion-MNIST, then the same network written as a subclassed Model.
//
//   spool_functional [--data DIR] [--epochs N] [--train-examples N] [--test-examples N]
//
// Prints the functional model's summary (Keras' table with "Connected to"), one line
// per epoch, and ends with "test accuracy: 0.XXXX".
#include <spool/spool.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

using namespace spool;

namespace {

struct Args {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int epochs = 2;
  std::int64_t train_examples = 60000;
  std::int64_t test_examples = 10000;
};

Args parse(int argc, char** argv) {
  Args args;
  if (argc % 2 == 0) throw InvalidArgument(std::string("flag ") + argv[argc - 1] + " needs a value");
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") args.data = value;
    else if (flag == "--epochs") args.epochs = std::stoi(value);
    else if (flag == "--train-examples") args.train_examples = std::stoll(value);
    else if (flag == "--test-examples") args.test_examples = std::stoll(value);
    else throw InvalidArgument("unknown flag " + flag);
  }
  return args;
}

layers::Conv2DOptions conv(std::int64_t filters, const char* activation) {
  return layers::Conv2DOptions(filters, 3).padding(Padding::kSame).activation(activation);
}

// inputs = Input((28, 28, 1))
// x = Conv2D(16, 3, activation="relu")(inputs); x = MaxPooling2D()(x)
// y = Conv2D(16, 3, padding="same", activation="relu")(x); y = Conv2D(16, 3, padding="same")(y)
// x = Add()([x, y])                        # the residual connection
// outputs = Dense(10)(Flatten()(MaxPooling2D()(x)))
layers::FunctionalModel residual_cnn() {
  using layers::connect;
  const layers::SymbolicTensor inputs = layers::Input(Shape{28, 28, 1}, "image");
  layers::SymbolicTensor x = connect(layers::Conv2D(conv(16, "relu")), inputs);
  x = connect(layers::MaxPooling2D(), x);
  layers::SymbolicTensor y = connect(layers::Conv2D(conv(16, "relu")), x);
  y = connect(layers::Conv2D(conv(16, "linear")), y);
  x = connect(layers::Add(), {x, y});
  x = connect(layers::MaxPooling2D(), x);
  x = connect(layers::Flatten(), x);
  const layers::SymbolicTensor outputs = connect(layers::Dense(layers::DenseOptions(10)), x);
  return layers::FunctionalModel(inputs, outputs, "residual_cnn");
}

// The same network by subclassing: the layers are members, call() wires them.
class ResidualCnn : public layers::Model {
 public:
  ResidualCnn() : Model("residual_cnn_subclassed") {
    stem_ = add_layer(layers::Conv2D(conv(16, "relu")));
    pool1_ = add_layer(layers::MaxPooling2D());
    conv_a_ = add_layer(layers::Conv2D(conv(16, "relu")));
    conv_b_ = add_layer(layers::Conv2D(conv(16, "linear")));
    pool2_ = add_layer(layers::MaxPooling2D());
    flatten_ = add_layer(layers::Flatten());
    head_ = add_layer(layers::Dense(layers::DenseOptions(10)));
  }

 protected:
  Tensor call(const Tensor& images, const layers::CallContext& context) const override {
    const Tensor x = (*pool1_)((*stem_)(images, context), context);
    const Tensor y = (*conv_b_)((*conv_a_)(x, context), context);
    return (*head_)((*flatten_)((*pool2_)(x + y, context), context), context);
  }

 private:
  std::shared_ptr<layers::Layer> stem_, pool1_, conv_a_, conv_b_, pool2_, flatten_, head_;
};

data::Element scale(data::Element batch) {
  const Tensor x = batch[0].cast(DType::kF32) * (1.0 / 255);
  return data::Element{x.reshape({x.dim(0), 28, 28, 1}), batch[1]};
}

double train_and_test(layers::Model& model, const Args& args, const char* what) {
  const std::string dir = args.data + "/";
  const data::Dataset train = data::IdxDataset(dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz")
                                  .take(args.train_examples)
                                  .shuffle(10000, /*seed=*/42)
                                  .batch(64)
                                  .map(scale);
  const data::Dataset test = data::IdxDataset(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz")
                                 .take(args.test_examples)
                                 .batch(256)
                                 .map(scale);
  const losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(2e-3));
  distribute::Trainer trainer(model, loss, adam, {"accuracy"});
  const distribute::History history = trainer.fit(
      train, distribute::FitOptions().epochs(args.epochs).seed(42).progress(distribute::ProgressBar::Mode::kSilent));
  for (const distribute::EpochLogs& e : history.epochs)
    std::printf("%s epoch %d: loss %.4f, accuracy %.4f\n", what, e.epoch, e.loss, e.value("accuracy"));
  return trainer.evaluate(test).value("accuracy");
}

int run(const Args& args) {
  layers::FunctionalModel functional = residual_cnn();
  functional.build(/*seed=*/42);
  std::cout << functional.summary();
  const double functional_accuracy = train_and_test(functional, args, "functional");

  ResidualCnn subclassed;
  subclassed.build(Shape{28, 28, 1}, /*seed=*/42);
  std::printf("subclassed: %lld parameters, as the functional model's %lld\n",
              static_cast<long long>(subclassed.count_params()), static_cast<long long>(functional.count_params()));
  const double subclassed_accuracy = train_and_test(subclassed, args, "subclassed");
  std::printf("subclassed test accuracy: %.4f\n", subclassed_accuracy);
  std::printf("test accuracy: %.4f\n", functional_accuracy);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spool_functional: %s\n", e.what());
    return 1;
  }
}
