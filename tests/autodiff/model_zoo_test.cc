// zoo_model: each named architecture has the layers and Keras parameter counts that
// `spool train` has always trained (its checkpoints restore only into these), and bad
// names are refused with the known ones listed.
#include "spool/autodiff/layers/model_zoo.h"

#include <gtest/gtest.h>

#include <vector>

#include "spool/tensor/error.h"

namespace spool::layers {
namespace {

std::vector<std::int64_t> params_per_layer(const Sequential& model) {
  std::vector<std::int64_t> out;
  for (const auto& layer : model.layers()) out.push_back(layer->count_params());
  return out;
}

// Hand-computed as Keras does: kh·kw·in·out + out per conv, in·out + out per dense.
TEST(ModelZoo, MlpIsFlattenDense128DenseOutputs) {
  const Sequential model = zoo_model("mlp", Shape{28, 28, 1}, 10, 1);
  EXPECT_EQ(model.name(), "mlp");
  EXPECT_EQ(params_per_layer(model), (std::vector<std::int64_t>{0, 784 * 128 + 128, 128 * 10 + 10}));
  EXPECT_EQ(model.count_params(), 101770);
  EXPECT_EQ(model.output_shape(), (Shape{10}));
}

TEST(ModelZoo, CnnForClassesIsTheCourseTwoBlockCnn) {
  const Sequential model = zoo_model("cnn", Shape{28, 28, 1}, 10, 1);
  EXPECT_EQ(params_per_layer(model), (std::vector<std::int64_t>{3 * 3 * 1 * 32 + 32, 0, 3 * 3 * 32 * 64 + 64, 0, 0,
                                                                5 * 5 * 64 * 128 + 128, 128 * 10 + 10}));
  EXPECT_EQ(model.count_params(), 225034);
}

TEST(ModelZoo, CnnWithOneOutputIsTheThreeBlockImageCnn) {
  const Sequential model = zoo_model("cnn", Shape{150, 150, 3}, 1, 1);
  // 150 -conv-> 148 -pool-> 74 -conv-> 72 -pool-> 36 -conv-> 34 -pool-> 17.
  EXPECT_EQ(params_per_layer(model),
            (std::vector<std::int64_t>{3 * 3 * 3 * 16 + 16, 0, 3 * 3 * 16 * 32 + 32, 0, 3 * 3 * 32 * 64 + 64, 0, 0,
                                       17 * 17 * 64 * 128 + 128, 128 + 1}));
  EXPECT_EQ(model.output_shape(), (Shape{1}));
}

TEST(ModelZoo, SameSeedSameWeights) {
  const Sequential a = zoo_model("mlp", Shape{4, 4, 1}, 3, 7);
  const Sequential b = zoo_model("mlp", Shape{4, 4, 1}, 3, 7);
  ASSERT_EQ(a.variables().size(), b.variables().size());
  for (std::size_t i = 0; i < a.variables().size(); ++i) {
    EXPECT_EQ(a.variables()[i].value().to_vector<float>(), b.variables()[i].value().to_vector<float>()) << i;
  }
}

TEST(ModelZoo, RefusesUnknownKindAndNoOutputs) {
  try {
    zoo_model("resnet", Shape{28, 28, 1}, 10, 1);
    FAIL() << "no exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "unknown model 'resnet' (known: mlp, cnn)");
  }
  EXPECT_THROW(zoo_model("mlp", Shape{28, 28, 1}, 0, 1), InvalidArgument);
}

}  // namespace
}  // namespace spool::layers
