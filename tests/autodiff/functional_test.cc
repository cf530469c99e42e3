// The functional API: a graph with a residual Add and a Concatenate branch (Keras' layer
// order and names, forward values by hand, the "Connected to" summary against a
// hand-written table), several inputs and outputs, integer ids through an Input, the
// Sequential layout for a chain, and the errors of a graph that does not make a model.
#include "spool/autodiff/layers/functional.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "autodiff/layers_test_support.h"
#include "spool/autodiff/layers.h"
#include "spool/autodiff/ops.h"
#include "spool/tensor/random.h"

namespace spool::layers {
namespace {

using testing::error_of;
using testing::uniform32;

// in -> h = Dense16(relu) -> Dense16(relu) -> Add(h, .) ─┐
//   └──────── branch = Dense8(relu) ─────────────────────┴ Concatenate -> Dense4
FunctionalModel residual_branches() {
  const SymbolicTensor in = Input(Shape{8});
  const SymbolicTensor h = connect(Dense(DenseOptions(16).activation("relu")), in);
  const SymbolicTensor sum = connect(Add(), {h, connect(Dense(DenseOptions(16).activation("relu")), h)});
  const SymbolicTensor branch = connect(Dense(DenseOptions(8).activation("relu").name("branch")), in);
  const SymbolicTensor joined = connect(Concatenate(), {sum, branch});
  return FunctionalModel(in, connect(Dense(DenseOptions(4)), joined), "residual_branches");
}

TEST(Functional, LayersComeInKerasOrderWithKerasNamesAndComputeTheGraph) {
  FunctionalModel model = residual_branches();
  model.build(5);
  std::vector<std::string> names;
  for (const auto& l : model.layers()) names.push_back(l->name());
  EXPECT_EQ(names,
            (std::vector<std::string>{"input_1", "dense", "dense_1", "add", "branch", "concatenate", "dense_2"}));
  EXPECT_EQ(model.input_shape(), (Shape{8}));
  EXPECT_EQ(model.output_shape(), (Shape{4}));

  const auto var = [&](const std::string& name) -> Tensor {
    for (const autodiff::Variable& v : model.variables())
      if (v.name() == name) return v.unwatched_value();
    ADD_FAILURE() << "no variable " << name;
    return Tensor();
  };
  const Tensor x = uniform32(Shape{3, 8}, 1);
  const Tensor h = relu(add(matmul(x, var("dense/kernel")), var("dense/bias")));
  const Tensor r = add(h, relu(add(matmul(h, var("dense_1/kernel")), var("dense_1/bias"))));
  const Tensor b = relu(add(matmul(x, var("branch/kernel")), var("branch/bias")));
  const Tensor want = add(matmul(concat({r, b}, 1), var("dense_2/kernel")), var("dense_2/bias"));
  const std::vector<float> got = model(x).to_vector<float>(), expected = want.to_vector<float>();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5) << i;
  EXPECT_EQ(model.infer(x).to_vector<float>(), got);

  // Layer i initialises from fork(i): the same graph and seed give the same weights.
  FunctionalModel again = residual_branches();
  again.build(5);
  EXPECT_EQ(again.arena().flat().to_vector<float>(), model.arena().flat().to_vector<float>());
}

TEST(Functional, SummaryIsKerasFunctionalTable) {
  const std::string want =
      "Model: \"residual_branches\"\n"
      "__________________________________________________________________________________________________\n"
      "Layer (type)                    Output Shape         Param #     Connected to                     \n"
      "==================================================================================================\n"
      "input_1 (InputLayer)            [(None, 8)]          0                                            \n"
      "__________________________________________________________________________________________________\n"
      "dense (Dense)                   (None, 16)           144         input_1[0][0]                    \n"
      "__________________________________________________________________________________________________\n"
      "dense_1 (Dense)                 (None, 16)           272         dense[0][0]                      \n"
      "__________________________________________________________________________________________________\n"
      "add (Add)                       (None, 16)           0           dense[0][0]                      \n"
      "                                                                 dense_1[0][0]                    \n"
      "__________________________________________________________________________________________________\n"
      "branch (Dense)                  (None, 8)            72          input_1[0][0]                    \n"
      "__________________________________________________________________________________________________\n"
      "concatenate (Concatenate)       (None, 24)           0           add[0][0]                        \n"
      "                                                                 branch[0][0]                     \n"
      "__________________________________________________________________________________________________\n"
      "dense_2 (Dense)                 (None, 4)            100         concatenate[0][0]                \n"
      "==================================================================================================\n"
      "Total params: 588\n"
      "Trainable params: 516\n"
      "Non-trainable params: 72\n"
      "__________________________________________________________________________________________________\n";
  FunctionalModel model = residual_branches();
  model.build(5);
  model.layer("branch").trainable(false);
  EXPECT_EQ(model.summary(), want);
}

TEST(Functional, AChainPrintsInTheSequentialLayout) {
  const SymbolicTensor in = Input(Shape{4});
  FunctionalModel model(in, connect(Dense(DenseOptions(2)), in), "chain");
  model.build(1);
  EXPECT_EQ(model.summary(),
            "Model: \"chain\"\n"
            "_________________________________________________________________\n"
            "Layer (type)                 Output Shape              Param #   \n"
            "=================================================================\n"
            "input_1 (InputLayer)         [(None, 4)]               0         \n"
            "_________________________________________________________________\n"
            "dense (Dense)                (None, 2)                 10        \n"
            "=================================================================\n"
            "Total params: 10\n"
            "Trainable params: 10\n"
            "Non-trainable params: 0\n"
            "_________________________________________________________________\n");
}

TEST(Functional, SeveralInputsAndOutputsTakeAndGiveLists) {
  const SymbolicTensor features = Input(Shape{4}, "features"), ids = Input(Shape{3}, "ids");
  const SymbolicTensor words = connect(Flatten(), connect(Embedding(10, 2), ids));  // [6]
  const auto gate = std::make_shared<Dense>(DenseOptions(1).activation("sigmoid"));
  const SymbolicTensor both = connect(Add(), {connect(Dense(DenseOptions(6)), features), words});
  FunctionalModel model({features, ids}, {connect(Dense(DenseOptions(2)), both), connect(gate, words)}, "two_headed");
  model.build(3);
  EXPECT_EQ(model.input_shapes(), (std::vector<Shape>{Shape{4}, Shape{3}}));
  EXPECT_EQ(model.output_shapes(), (std::vector<Shape>{Shape{2}, Shape{1}}));

  const Tensor x = uniform32(Shape{5, 4}, 2);
  const Tensor t = Tensor::from_vector<std::int64_t>({0, 1, 2, 9, 9, 9, 3, 3, 3, 4, 5, 6, 7, 8, 0}, Shape{5, 3});
  const std::vector<Tensor> ys = model({x, t}, {.training = true});
  ASSERT_EQ(ys.size(), 2u);
  EXPECT_EQ(ys[0].shape(), (Shape{5, 2}));
  EXPECT_EQ(ys[1].shape(), (Shape{5, 1}));
  // The gate by hand: sigmoid(flatten(embeddings[ids]) · kernel + bias).
  const Tensor flat = reshape(embedding_lookup(model.variables()[0].unwatched_value(), t), {5, 6});
  const Tensor want = sigmoid(add(matmul(flat, gate->kernel().unwatched_value()), gate->bias().unwatched_value()));
  const std::vector<float> got = ys[1].to_vector<float>(), expected = want.to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-6) << i;
  const std::vector<Tensor> served = model.infer({x, t});
  EXPECT_EQ(served[0].to_vector<float>(), ys[0].to_vector<float>());

  const std::string one = error_of([&] { model(x); });
  EXPECT_NE(one.find("Functional 'two_headed': takes 2 inputs, got 1"), std::string::npos) << one;
  const std::string shape = error_of([&] { (void)model.output_shape(); });
  EXPECT_NE(shape.find("has 2 outputs"), std::string::npos) << shape;
  const std::string wrong = error_of([&] { model({t, x}); });
  // Layers run in Keras' order, which puts "ids" (the deeper input) first.
  EXPECT_NE(wrong.find("InputLayer 'ids': input [5, 4] does not match the built input shape (None, 3)"),
            std::string::npos)
      << wrong;
}

TEST(Functional, GraphsThatAreNotModelsAreRefused) {
  const SymbolicTensor a = Input(Shape{2}), b = Input(Shape{2});
  const SymbolicTensor sum = connect(Add(), {a, b});
  const std::string disconnected = error_of([&] { FunctionalModel m(a, sum); });
  EXPECT_NE(disconnected.find("the outputs depend on Input 'input_2', which is not among the model's inputs"),
            std::string::npos)
      << disconnected;

  const SymbolicTensor in = Input(Shape{3});
  const auto shared = std::make_shared<Dense>(DenseOptions(3));
  const SymbolicTensor twice = connect(shared, connect(shared, in));
  const std::string reused = error_of([&] { FunctionalModel m(in, twice); });
  EXPECT_NE(reused.find("Dense 'dense' is called twice in the graph"), std::string::npos) << reused;

  const SymbolicTensor x = Input(Shape{3});
  const SymbolicTensor hidden = connect(Dense(DenseOptions(3)), x);
  const std::string not_input = error_of([&] { FunctionalModel m(hidden, hidden); });
  EXPECT_NE(not_input.find("a model input must come from Input(), got Dense"), std::string::npos) << not_input;

  FunctionalModel first(x, hidden, "first");
  const std::string taken = error_of([&] { FunctionalModel second(x, hidden, "second"); });
  EXPECT_NE(taken.find("already belongs to a model"), std::string::npos) << taken;
  const std::string built = error_of([&] { first.build(std::vector<Shape>{Shape{4}}, 1); });
  EXPECT_NE(built.find("InputLayer 'input_1': the Input's declared shape is (None, 3)"), std::string::npos) << built;
}

}  // namespace
}  // namespace spool::layers
