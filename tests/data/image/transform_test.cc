// The shared glue: layout checks, per-image application over a batch, component choice.
#include "spool/data/image/transform.h"

#include <gtest/gtest.h>

#include <string>

namespace spool::data {
namespace {

TEST(Transform, LayoutOfImagesAndBatches) {
  const detail::ImageLayout one = detail::image_layout(Tensor::zeros(Shape{3, 4, 2}, DType::kU8), "op");
  EXPECT_FALSE(one.batched);
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.h, 3);
  EXPECT_EQ(one.w, 4);
  EXPECT_EQ(one.c, 2);
  EXPECT_EQ(one.shape(5, 6), (Shape{5, 6, 2}));
  const detail::ImageLayout batch = detail::image_layout(Tensor::zeros(Shape{7, 3, 4, 2}, DType::kU8), "op");
  EXPECT_TRUE(batch.batched);
  EXPECT_EQ(batch.shape(5, 6), (Shape{7, 5, 6, 2}));
  try {
    detail::image_layout(Tensor::zeros(Shape{3, 4}, DType::kU8), "my_op");
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(std::string(e.what()), "my_op: expected an image [H,W,C] or a batch [N,H,W,C], got shape [3, 4]");
  }
  EXPECT_THROW(detail::image_layout(Tensor::zeros(Shape{3, 0, 1}, DType::kU8), "op"), InvalidArgument);
}

TEST(Transform, PerImageStacksResultsAndRefusesRaggedOnes) {
  const Tensor batch = Tensor::from_vector<float>({1, 2, 3, 4}, Shape{2, 1, 2, 1});
  int calls = 0;
  const Tensor doubled = detail::per_image(batch, [&](const Tensor& t) {
    ++calls;
    Tensor out = t.clone();
    for (std::int64_t i = 0; i < out.numel(); ++i) out.data<float>()[i] *= 2;
    return out;
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(doubled.to_vector<float>(), (std::vector<float>{2, 4, 6, 8}));
  int k = 0;
  EXPECT_THROW(detail::per_image(batch, [&](const Tensor& t) { return k++ == 0 ? t : t.narrow(1, 0, 1); }),
               InvalidArgument);
}

TEST(Transform, MapFunctionsPickTheComponentByIndexOrName) {
  const auto add_one = [](const Tensor& t) {
    Tensor out = t.clone();
    out.data<std::int64_t>()[0] += 1;
    return out;
  };
  const Element e({Tensor::scalar<std::int64_t>(10), Tensor::scalar<std::int64_t>(20)}, {"a", "b"});
  EXPECT_EQ(image_map_fn(add_one)(e)[0].item<std::int64_t>(), 11);
  EXPECT_EQ(image_map_fn(add_one, 1)(e)[1].item<std::int64_t>(), 21);
  EXPECT_EQ(image_map_fn(add_one, "b")(e)["b"].item<std::int64_t>(), 21);
  EXPECT_THROW(image_map_fn(add_one, 2)(e), OutOfRange);
  EXPECT_THROW(image_map_fn(add_one, "c")(e), InvalidArgument);
  Generator gen(1);
  const Element r = image_random_map_fn([](const Tensor& t, Generator& g) {
    Tensor out = t.clone();
    out.data<std::int64_t>()[0] = static_cast<std::int64_t>(g.next_u32() % 5);
    return out;
  }, "a")(e, gen);
  EXPECT_LT(r["a"].item<std::int64_t>(), 5);
  EXPECT_EQ(r["b"].item<std::int64_t>(), 20);
}

}  // namespace
}  // namespace spool::data
