// Add and Concatenate: output shapes (broadcast, joined axis), forward values against
// hand computations, gradients against central differences (f64, through a functional
// model of two inputs), and the errors for a single input or shapes that do not fit.
#include "spool/autodiff/layers/merge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autodiff/layers_test_support.h"
#include "spool/autodiff/layers/dense.h"
#include "spool/autodiff/layers/functional.h"

namespace spool::layers {
namespace {

using namespace testing;  // layers_test_support.h

TEST(Merge, AddSumsAndBroadcastsAxesOfOne) {
  autodiff::VariableArena arena;
  Generator gen(1);
  Add add;
  EXPECT_EQ(add.build(std::vector<Shape>{Shape{2, 3}, Shape{1, 3}, Shape{2, 1}}, arena, gen), (Shape{2, 3}));
  const Tensor a = f32s({1, 2, 3, 4, 5, 6}, Shape{1, 2, 3});
  const Tensor b = f32s({10, 20, 30}, Shape{1, 1, 3});
  const Tensor c = f32s({100, 200}, Shape{1, 2, 1});
  EXPECT_EQ(add({a, b, c}).to_vector<float>(), (std::vector<float>{111, 122, 133, 214, 225, 236}));
  EXPECT_EQ(add.count_params(), 0);
}

TEST(Merge, ConcatenateJoinsTheKerasAxis) {
  autodiff::VariableArena arena;
  Generator gen(1);
  Concatenate last;
  EXPECT_EQ(last.build(std::vector<Shape>{Shape{2, 3}, Shape{2, 1}}, arena, gen), (Shape{2, 4}));
  const Tensor a = f32s({1, 2, 3, 4, 5, 6}, Shape{1, 2, 3});
  const Tensor b = f32s({7, 8}, Shape{1, 2, 1});
  EXPECT_EQ(last({a, b}).to_vector<float>(), (std::vector<float>{1, 2, 3, 7, 4, 5, 6, 8}));

  Concatenate first(1);  // the first per-example axis, as Keras counts (batch axis 0)
  EXPECT_EQ(first.build(std::vector<Shape>{Shape{2, 3}, Shape{1, 3}}, arena, gen), (Shape{3, 3}));
  const Tensor row = f32s({9, 9, 9}, Shape{1, 1, 3});
  EXPECT_EQ(first({a, row}).to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6, 9, 9, 9}));
}

TEST(Merge, ErrorsNameTheLayerAndTheShapes) {
  autodiff::VariableArena arena;
  Generator gen(1);
  Add one;
  const std::string single = error_of([&] { one.build(Shape{3}, arena, gen); });
  EXPECT_NE(single.find("Add 'add': takes a list of at least 2 inputs"), std::string::npos) << single;

  Add mismatched;
  const std::string add = error_of([&] { mismatched.build(std::vector<Shape>{Shape{3}, Shape{4}}, arena, gen); });
  EXPECT_NE(add.find("input shapes (None, 3), (None, 4) do not broadcast"), std::string::npos) << add;

  Concatenate joined;
  const std::string cat =
      error_of([&] { joined.build(std::vector<Shape>{Shape{2, 3}, Shape{3, 3}}, arena, gen); });
  EXPECT_NE(cat.find("Concatenate 'concatenate': input shapes (None, 2, 3), (None, 3, 3) differ"), std::string::npos)
      << cat;
  Concatenate batch(0);
  const std::string axis = error_of([&] { batch.build(std::vector<Shape>{Shape{2}, Shape{2}}, arena, gen); });
  EXPECT_NE(axis.find("axis 0 is not a per-example axis"), std::string::npos) << axis;

  Add built;
  built.build(std::vector<Shape>{Shape{2}, Shape{2}}, arena, gen);
  const std::string call = error_of([&] { built(Tensor::zeros(Shape{1, 2}, DType::kF32)); });
  EXPECT_NE(call.find("built for 2 inputs, called with 1"), std::string::npos) << call;
  const std::string shape =
      error_of([&] { built({Tensor::zeros(Shape{1, 2}, DType::kF32), Tensor::zeros(Shape{1, 3}, DType::kF32)}); });
  EXPECT_NE(shape.find("Add 'add': input 1 [1, 3] does not match the built input shape (None, 2)"),
            std::string::npos)
      << shape;
}

// The merge layers' gradient rows: d/d both inputs and the Dense variables before them.
TEST(LayerGradients, AddWithBroadcastAndConcatenate) {
  for (const bool concatenate : {false, true}) {
    SCOPED_TRACE(concatenate ? "Concatenate" : "Add");
    const SymbolicTensor a = Input(Shape{3, 4}), b = Input(Shape{concatenate ? 2 : 1, 4});
    const SymbolicTensor dense = connect(Dense(DenseOptions(4).activation("tanh")), b);
    const SymbolicTensor merged = concatenate ? connect(Concatenate(1), {a, dense}) : connect(Add(), {a, dense});
    FunctionalModel model({a, b}, {merged}, "m", DType::kF64);
    model.build(7);
    EXPECT_EQ(model.output_shape(), (Shape{concatenate ? 5 : 3, 4}));
    expect_gradients_match(model, {uniform64(Shape{2, 3, 4}, 1), uniform64(Shape{2, concatenate ? 2 : 1, 4}, 2)});
  }
}

}  // namespace
}  // namespace spool::layers
