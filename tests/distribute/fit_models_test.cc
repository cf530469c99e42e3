// Trainer::fit with models of every shape on the gaussian blobs (fit_test_support.h): a
// subclassed model and a functional one (a residual Add and a Concatenate branch) each
// learn them, with weights fixed by the seeds, and a frozen layer comes out of fit as it
// went in. (Beside fit_test.cc, which covers fit's bookkeeping on a Sequential.)
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "distribute/fit_test_support.h"
#include "spool/autodiff/model.h"
#include "spool/autodiff/ops.h"
#include "spool/distribute/fit.h"

namespace spool::distribute {
namespace {

using namespace fit_testing;

// x -> h = Dense16(relu); h + Dense16(relu)(h) -> Dropout -> logits.
class BlobResidual : public layers::Model {
 public:
  BlobResidual()
      : Model("blob_residual"),
        hidden_(add_layer(layers::Dense(layers::DenseOptions(16).activation("relu")))),
        block_(add_layer(layers::Dense(layers::DenseOptions(16).activation("relu")))),
        drop_(add_layer(layers::Dropout(0.2))),
        head_(add_layer(layers::Dense(layers::DenseOptions(kClasses)))) {}

 protected:
  Tensor call(const Tensor& x, const layers::CallContext& context) const override {
    const Tensor h = (*hidden_)(x, context);
    return (*head_)((*drop_)(h + (*block_)(h, context), context), context);
  }

 private:
  std::shared_ptr<layers::Dense> hidden_, block_;
  std::shared_ptr<layers::Dropout> drop_;
  std::shared_ptr<layers::Dense> head_;
};

// in -> h = Dense16(relu) -> Add(h, Dense16(relu)(h)) ─┐
//   └─ branch = Dense8(relu) ──────────────────────────┴ Concatenate -> Dropout -> logits
std::unique_ptr<layers::FunctionalModel> blob_graph() {
  using namespace layers;
  const SymbolicTensor in = Input(Shape{kFeatures});
  const SymbolicTensor h = connect(Dense(DenseOptions(16).activation("relu")), in);
  const SymbolicTensor sum = connect(Add(), {h, connect(Dense(DenseOptions(16).activation("relu")), h)});
  const SymbolicTensor branch = connect(Dense(DenseOptions(8).activation("relu").name("branch")), in);
  const SymbolicTensor joined = connect(Dropout(0.2), connect(Concatenate(), {sum, branch}));
  return std::make_unique<FunctionalModel>(in, connect(Dense(DenseOptions(kClasses)), joined), "blob_graph");
}

struct Fitted {
  History history;
  double accuracy = 0;  // evaluate() on the training blobs after fit
};

Fitted fit_blobs(layers::Model& model, std::uint64_t fit_seed) {
  const Blobs data = blobs(300, 1);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.01));
  Trainer trainer(model, loss, adam, {"accuracy"});
  Fitted f;
  f.history = trainer.fit(batches(data, 32, 3), silent().epochs(6).seed(fit_seed));
  f.accuracy = trainer.evaluate(in_order(data, 64)).value("accuracy");
  return f;
}

void expect_learned(const Fitted& f) {
  ASSERT_EQ(f.history.epochs.size(), 6u);
  EXPECT_LT(f.history.epochs.back().loss, 0.5 * f.history.epochs.front().loss);
  EXPECT_GT(f.history.epochs.back().value("accuracy"), 0.95);
  EXPECT_GT(f.accuracy, 0.95);
}

TEST(FitModels, ASubclassedModelLearnsWithWeightsFixedByTheSeeds) {
  BlobResidual model, same, other;
  model.build(Shape{kFeatures}, 7);
  same.build(Shape{kFeatures}, 7);
  other.build(Shape{kFeatures}, 8);
  expect_learned(fit_blobs(model, 11));
  fit_blobs(same, 11);
  fit_blobs(other, 11);
  EXPECT_EQ(variable_bytes(model), variable_bytes(same));
  EXPECT_NE(variable_bytes(model), variable_bytes(other));
}

TEST(FitModels, AFunctionalModelWithAResidualAndABranchLearnsWithWeightsFixedByTheSeeds) {
  const auto model = blob_graph(), same = blob_graph(), other = blob_graph();
  model->build(7);
  same->build(7);
  other->build(7);
  expect_learned(fit_blobs(*model, 11));
  fit_blobs(*same, 11);
  fit_blobs(*other, 12);  // another Dropout stream
  EXPECT_EQ(variable_bytes(*model), variable_bytes(*same));
  EXPECT_NE(variable_bytes(*model), variable_bytes(*other));
}

TEST(FitModels, AFrozenLayerComesOutOfFitAsItWentIn) {
  const auto model = blob_graph();
  model->build(7);
  layers::Layer& branch = model->layer("branch");
  branch.trainable(false);
  for (const autodiff::Variable& v : model->trainable_variables()) EXPECT_NE(v.name().rfind("branch/", 0), 0u);
  const std::vector<float> kernel = branch.variables()[0].unwatched_value().to_vector<float>();
  const std::vector<float> bias = branch.variables()[1].unwatched_value().to_vector<float>();
  const std::string before = variable_bytes(*model);
  expect_learned(fit_blobs(*model, 11));
  EXPECT_EQ(branch.variables()[0].unwatched_value().to_vector<float>(), kernel);
  EXPECT_EQ(branch.variables()[1].unwatched_value().to_vector<float>(), bias);
  EXPECT_NE(variable_bytes(*model), before);  // the rest trained
}

}  // namespace
}  // namespace spool::distribute
