// spool_classify: inference on a model that `spool train --out DIR` saved, as a service
// does it. The Classifier class is the part to copy: built once from the checkpoint
// folder, then called per image (one thread at a time; make one per thread to serve in
// parallel).
//
//   spool_classify CHECKPOINT_DIR IMAGE...                PNG or JPEG files
//   spool_classify CHECKPOINT_DIR --idx FILE --index N    image N of an IDX file
//
// prints one line per image: NAME <tab> CLASS <tab> PROBABILITY. An image that cannot
// be read is reported on stderr and the others are still classified; the exit status
// is 1 when anything failed, 2 for a usage error.
#include <spool/autodiff/checkpoint.h>
#include <spool/autodiff/layers/model_zoo.h>
#include <spool/autodiff/ops/arithmetic.h>
#include <spool/data/image/idx.h>
#include <spool/data/sources/image_folder_dataset.h>
#include <spool/tensor/error.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace spool;

// What the data set half of the checkpoint's "model" metadata ("mlp/fashion-mnist")
// means at inference: the input the model was trained on and its class names.
struct DatasetSpec {
  std::string name;
  std::int64_t side = 0;  // square images, side x side
  int channels = 0;
  std::vector<std::string> classes;  // two classes: one logit, sigmoid
  std::string interpolation = "bilinear";
  bool image_folder = false;  // the input is what the checkpoint says (read_image_input)
};
const std::vector<DatasetSpec> kDatasets = {
    {.name = "fashion-mnist",
     .side = 28,
     .channels = 1,
     .classes = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"}},
    // Keras' labels: the sorted folder names.
    {.name = "horses-or-humans", .classes = {"horses", "humans"}, .image_folder = true},
};

// spool train records how it prepared an image folder's pictures; a checkpoint from
// before it did was trained on ImageInput's defaults (150x150 rgb, bilinear).
void read_image_input(const std::optional<autodiff::ImageInput>& recorded, DatasetSpec& spec) {
  if (!recorded && !spec.image_folder) return;
  const autodiff::ImageInput input = recorded.value_or(autodiff::ImageInput{});
  SPOOL_CHECK(input.color_mode == "rgb" || input.color_mode == "grayscale", InvalidArgument,
              "the checkpoint's color_mode ", quoted(input.color_mode), " is not rgb or grayscale");
  data::ImageFolderOptions().interpolation(input.interpolation);  // refuses a method it does not know, naming it
  spec.side = input.image_size;  // restore_checkpoint checked it is in 1..4096
  spec.channels = input.color_mode == "grayscale" ? 1 : 3;
  spec.interpolation = input.interpolation;
}

class Classifier {
 public:
  struct Prediction {
    std::string label;
    double probability;
  };

  explicit Classifier(const std::string& checkpoint_dir) {
    SPOOL_CHECK(autodiff::checkpoint_exists(checkpoint_dir), IoError, "no checkpoint in ", quoted(checkpoint_dir), " (",
                quoted(autodiff::checkpoint_path(checkpoint_dir)), " is missing; spool train --out writes it)");
    // The checkpoint says which model to build; a restore into no variables returns it.
    const autodiff::RunInfo info = autodiff::restore_checkpoint(checkpoint_dir, {}, nullptr).info;
    SPOOL_CHECK(!info.model.empty(), InvalidArgument, "the checkpoint in ", quoted(checkpoint_dir),
                " does not say which model it holds (no \"model\" metadata, which spool train writes)");
    const std::string& kind = info.model;  // "<mlp|cnn>/<data set>"
    const std::size_t slash = kind.find('/');
    for (const DatasetSpec& d : kDatasets) {
      if (slash != std::string::npos && kind.substr(slash + 1) == d.name) spec_ = d;
    }
    const std::string arch = spec_ ? kind.substr(0, slash) : "";
    if (spec_) read_image_input(info.image_input, *spec_);
    SPOOL_CHECK(arch == "mlp" || arch == "cnn", InvalidArgument, "the checkpoint in ", quoted(checkpoint_dir),
                " is of model ", quoted(kind), ", not one of mlp|cnn / fashion-mnist|horses-or-humans");
    const std::int64_t outputs = spec_->classes.size() == 2 ? 1 : std::ssize(spec_->classes);
    model_ = layers::zoo_model(arch, Shape{spec_->side, spec_->side, spec_->channels}, outputs, /*seed=*/0);
    autodiff::restore_checkpoint(checkpoint_dir, model_.variables(), nullptr);
  }

  // A PNG or JPEG file, decoded and resized exactly as `spool train` loads an image folder.
  Prediction classify_file(const std::string& path) {
    SPOOL_CHECK(std::filesystem::is_regular_file(path), IoError, "no image file ", quoted(path));
    const auto options = data::ImageFolderOptions()
                             .color_mode(spec_->channels == 1 ? "grayscale" : "rgb")
                             .image_size({spec_->side, spec_->side})
                             .interpolation(spec_->interpolation);
    return classify(data::load_image_file(path, options), path);  // f32 [side, side, C] in [0, 255]
  }

  // Pixels [side, side, channels] in [0, 255], u8 or f32 (u8 as an IDX file holds them).
  // `source` names the image in messages.
  Prediction classify(const Tensor& pixels, const std::string& source) {
    const Shape want{spec_->side, spec_->side, spec_->channels};
    SPOOL_CHECK(pixels.shape() == want, InvalidArgument, quoted(source), " is ", pixels.shape().to_string(),
                " but the model takes ", spec_->name, " images, ", want.to_string());
    // Scaled as spool train scales its batches (times 1/255, not divided by 255), so
    // the inputs, and so the logits, are bit for bit those training and evaluation see.
    const Tensor x = mul(pixels.cast(DType::kF32), double{1.0f / 255.0f}).reshape({1, want[0], want[1], want[2]});
    const std::vector<float> logits = model_(x, {.training = false}).to_vector<float>();
    if (logits.size() == 1) {  // sigmoid: the probability of class 1
      const double p = 1 / (1 + std::exp(-double{logits[0]}));
      return p >= 0.5 ? Prediction{spec_->classes[1], p} : Prediction{spec_->classes[0], 1 - p};
    }
    std::size_t best = 0;  // softmax, computed from the largest logit so exp cannot overflow
    for (std::size_t k = 1; k < logits.size(); ++k) best = logits[k] > logits[best] ? k : best;
    double sum = 0;
    for (const float z : logits) sum += std::exp(double{z} - logits[best]);
    return {spec_->classes[best], 1 / sum};
  }

 private:
  std::optional<DatasetSpec> spec_;
  layers::Sequential model_;
};

constexpr const char* kUsage =
    "usage: spool_classify CHECKPOINT_DIR IMAGE...\n"
    "       spool_classify CHECKPOINT_DIR --idx IMAGES_FILE --index N\n"
    "Classifies PNG/JPEG images (or image N of an IDX file) with the model that\n"
    "`spool train --out CHECKPOINT_DIR` saved; prints NAME<tab>CLASS<tab>PROBABILITY.\n";

void print(const std::string& name, const Classifier::Prediction& p) {
  std::printf("%s\t%s\t%.4f\n", name.c_str(), p.label.c_str(), p.probability);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) return std::fputs(kUsage, stdout), 0;
  std::string idx;
  std::int64_t index = -1;
  std::vector<std::string> images;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] != "--idx" && args[i] != "--index") {
      images.push_back(args[i]);
    } else if (i + 1 == args.size()) {
      return std::fprintf(stderr, "spool_classify: %s needs a value\n%s", args[i].c_str(), kUsage), 2;
    } else if (args[i] == "--idx") {
      idx = args[++i];
    } else {
      const std::string& v = args[++i];
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), index);
      if (ec != std::errc() || end != v.data() + v.size() || index < 0) {
        std::fprintf(stderr, "spool_classify: --index must be an integer >= 0, not '%s'\n", v.c_str());
        return 2;
      }
    }
  }
  if (args.empty() || (images.empty() && idx.empty()) || idx.empty() != (index < 0)) {
    return std::fputs(kUsage, stderr), 2;
  }
  int status = 0;
  try {
    Classifier classifier(args[0]);
    for (const std::string& path : images) {
      try {
        print(path, classifier.classify_file(path));
      } catch (const Error& e) {  // one bad image does not stop the others
        std::fprintf(stderr, "spool_classify: %s\n", e.what());
        status = 1;
      }
    }
    if (!idx.empty()) {
      const Tensor all = data::read_idx(idx);  // u8 [N, H, W]
      SPOOL_CHECK(all.shape().rank() == 3 && index < all.shape()[0], OutOfRange, "--index ", index,
                  " out of range for ", spool::quoted(idx), " of shape ", all.shape().to_string());
      const Tensor image = all.select(0, index).reshape({all.shape()[1], all.shape()[2], 1});
      const std::string name = idx + "#" + std::to_string(index);
      print(name, classifier.classify(image, name));
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "spool_classify: %s\n", e.what());
    return 1;
  }
  return status;
}
