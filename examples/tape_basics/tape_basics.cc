// tape_basics: tensors and GradientTape, the course's first lessons in C++.
//
//   spool_tape_basics            prints each step; the last line is "w = 2.00, b = -1.00"
//
// 1. Tensors: made from values, shaped, broadcast, reduced.
// 2. GradientTape: d(x³)/dx at 3 is 27, written with operators or named ops alike.
// 3. A persistent tape gives several gradients; a watched tensor vs a Variable.
// 4. The course's first model: fit y = 2x − 1 with a Variable w, b and plain SGD.
#include <spool/spool.h>

#include <cstdio>
#include <iostream>
#include <vector>

using namespace spool;

namespace {

void print(const char* what, const Tensor& t) { std::cout << what << " = " << t << std::endl; }

}  // namespace

int main() {
  // 1. Tensors: a Tensor is a cheap handle (copies alias), shaped and typed.
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  const Tensor bias = Tensor::from_vector<float>({10, 20, 30});
  print("a + bias", a + bias);                    // [2, 3] + [3]: broadcast over rows
  print("sum(a, {1})", sum(a, {1}));              // [6, 15]
  print("matmul(a, a^T)", matmul(a, transpose(a)));

  // 2. GradientTape records the ops on what it watches; gradient() walks them back.
  const Tensor x = Tensor::scalar<float>(3);
  {
    autodiff::GradientTape tape;
    tape.watch(x);
    const Tensor y = x * x * x;
    std::printf("d(x*x*x)/dx at 3 = %.0f\n", tape.gradient(y, {x})[0].item_as_double());
  }
  {
    autodiff::GradientTape tape;
    tape.watch(x);
    const Tensor y = pow(x, 3.0);
    std::printf("d(pow(x, 3))/dx at 3 = %.0f\n", tape.gradient(y, {x})[0].item_as_double());
  }

  // 3. A persistent tape answers several questions about one recording.
  {
    autodiff::GradientTape tape(autodiff::TapeOptions().persistent(true));
    tape.watch(x);
    const Tensor y = x * x;  // 9
    const Tensor z = y * y;  // 81
    std::printf("dz/dx = %.0f, dy/dx = %.0f\n", tape.gradient(z, {x})[0].item_as_double(),
                tape.gradient(y, {x})[0].item_as_double());
  }

  // 4. Fit y = 2x − 1 from six points: Variables are watched when read on a tape.
  const Tensor xs = Tensor::from_vector<float>({-1, 0, 1, 2, 3, 4});
  const Tensor ys = Tensor::from_vector<float>({-3, -1, 1, 3, 5, 7});
  autodiff::Variable w("w", Tensor::scalar<float>(0)), b("b", Tensor::scalar<float>(0));
  autodiff::SGD sgd(autodiff::SGDOptions().learning_rate(0.05));
  const std::vector<autodiff::Variable> variables{w, b};
  double loss_value = 0;
  for (int step = 0; step < 500; ++step) {
    autodiff::GradientTape tape;
    const Tensor error = w * xs + b - ys;
    const Tensor loss = mean(error * error);
    sgd.apply_gradients(tape.gradient(loss, variables), variables);
    loss_value = loss.item_as_double();
  }
  std::printf("loss = %.6f\n", loss_value);
  std::printf("w = %.2f, b = %.2f\n", w.unwatched_value().item_as_double(), b.unwatched_value().item_as_double());
  return 0;
}
