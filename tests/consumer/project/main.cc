// Writes three records with Spool, reads them back, and checks them; then trains a
// small model with distribute::Trainer on a learnable toy problem. Everything comes
// from <spool/spool.h> alone.
#include <spool/spool.h>

#include <iostream>
#include <string>
#include <vector>

namespace {

// Records round-trip through a TFRecord file.
bool records_round_trip(const std::string& path) {
  const std::vector<std::string> payloads = {"first", "", "third record"};
  spool::data::TFRecordWriter writer(path);
  for (const auto& p : payloads) writer.write(p);
  writer.close();

  spool::data::TFRecordReader reader(path);
  std::size_t n = 0;
  while (auto record = reader.next()) {
    if (n >= payloads.size() || record->data.as_string_view() != payloads[n]) {
      std::cerr << "record " << n << " differs\n";
      return false;
    }
    ++n;
  }
  std::cout << "consumer ok: " << n << " records, crc32c(123456789)=" << std::hex
            << spool::data::crc32c("123456789") << std::dec << "\n";
  return n == payloads.size();
}

// Class = whether the first feature is positive: Dense layers with Adam learn it in a
// few epochs; the Trainer's "accuracy" follows the loss.
bool trainer_learns() {
  using namespace spool;
  constexpr std::int64_t kN = 256;
  std::vector<float> features;
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < kN; ++i) {
    const float a = static_cast<float>((i * 37) % 17) - 8.0f, b = static_cast<float>((i * 11) % 13) - 6.0f;
    features.insert(features.end(), {a, b});
    labels.push_back(a > 0 ? 1 : 0);
  }
  const data::Dataset train = data::Dataset::from_tensor_slices(
      {Tensor::from_vector(features, Shape{kN, 2}), Tensor::from_vector(labels, Shape{kN})})
                                  .shuffle(kN, 1)
                                  .batch(32);
  layers::Sequential model("toy");
  model.add(layers::Dense(layers::DenseOptions(8).activation("relu"))).add(layers::Dense(layers::DenseOptions(2)));
  model.build(Shape{2}, 7);
  losses::SparseCategoricalCrossentropy loss(losses::LossOptions().from_logits(true));
  autodiff::Adam adam(autodiff::AdamOptions().learning_rate(0.05));
  distribute::Trainer trainer(model, loss, adam, {"accuracy"});
  const distribute::History h =
      trainer.fit(train, distribute::FitOptions().epochs(8).progress(distribute::ProgressBar::Mode::kSilent));
  const double accuracy = h.epochs.back().value("accuracy");
  std::cout << "trainer ok: accuracy " << accuracy << " after " << h.epochs.size() << " epochs\n";
  return accuracy > 0.9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  return records_round_trip(argv[1]) && trainer_learns() ? 0 : 1;
}
