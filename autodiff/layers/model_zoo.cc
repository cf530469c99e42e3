#include "model_zoo.h"

#include <vector>

#include "spool/autodiff/layers.h"
#include "spool/tensor/error.h"

namespace spool::layers {

Sequential zoo_model(const std::string& kind, const Shape& input_shape, std::int64_t outputs, std::uint64_t seed) {
  SPOOL_CHECK(outputs >= 1, InvalidArgument, "zoo_model: outputs must be at least 1, got ", outputs);
  Sequential model(kind);
  if (kind == "mlp") {
    model.add(Flatten()).add(Dense(DenseOptions(128).activation("relu"))).add(Dense(DenseOptions(outputs)));
  } else if (kind == "cnn") {
    // 150x150 binary inputs get a third block, which brings the Flatten down from
    // 36x36x32 to 17x17x64 values.
    const std::vector<std::int64_t> filters =
        outputs > 1 ? std::vector<std::int64_t>{32, 64} : std::vector<std::int64_t>{16, 32, 64};
    for (const std::int64_t f : filters) model.add(Conv2D(Conv2DOptions(f, 3).activation("relu"))).add(MaxPooling2D());
    model.add(Flatten()).add(Dense(DenseOptions(128).activation("relu"))).add(Dense(DenseOptions(outputs)));
  } else {
    SPOOL_THROW(InvalidArgument, "unknown model '", kind, "' (known: mlp, cnn)");
  }
  model.build(input_shape, seed);
  return model;
}

}  // namespace spool::layers
