// Comparisons (u8 0/1 results) and where, declared in elementwise.h.
#include <cstdint>

#include "spool/tensor/kernels/elementwise.h"
#include "spool/tensor/kernels/elementwise_loops.h"

namespace spool::kernels {

namespace {

template <typename Cmp>
Tensor compare(std::string_view name, const Tensor& a, const Tensor& b, Cmp cmp) {
  const kernels::BinaryLayout layout = kernels::binary_layout(name, a, b);
  Tensor out = Tensor::empty(layout.shape, DType::kU8);
  visit_dtype(a.dtype(), [&]<typename T>() {
    kernels::map_binary(layout.loop, out.data<std::uint8_t>(), a.data<T>(), b.data<T>(),
                        [cmp](T x, T y) { return static_cast<std::uint8_t>(cmp(x, y)); });
  });
  return out;
}

template <typename T>
void select(const kernels::StridedLoop& loop, T* out, const std::uint8_t* cond, const T* a, const T* b) {
  using kernels::Contiguous;
  using kernels::Strided;
  const auto pick = [](std::uint8_t c, T x, T y) { return c != 0 ? x : y; };
  const std::int64_t so = loop.inner_stride(0), sc = loop.inner_stride(1);
  const std::int64_t sa = loop.inner_stride(2), sb = loop.inner_stride(3);
  kernels::parallel_blocks(loop.numel(), [&](std::int64_t begin, std::int64_t end) {
    loop.for_each_run(begin, end, [&](const std::int64_t* at, std::int64_t n) {
      if (so == 1 && sc == 1 && sa == 1 && sb == 1)
        kernels::map_run(kernels::ContiguousOut<T>{out + at[0]}, n, pick, Contiguous<std::uint8_t>{cond + at[1]},
                         Contiguous<T>{a + at[2]}, Contiguous<T>{b + at[3]});
      else
        kernels::map_run(kernels::StridedOut<T>{out + at[0], so}, n, pick, Strided<std::uint8_t>{cond + at[1], sc},
                         Strided<T>{a + at[2], sa}, Strided<T>{b + at[3], sb});
    });
  });
}

}  // namespace

Tensor equal(const Tensor& a, const Tensor& b) {
  return compare("equal", a, b, [](auto x, auto y) { return x == y; });
}
Tensor not_equal(const Tensor& a, const Tensor& b) {
  return compare("not_equal", a, b, [](auto x, auto y) { return x != y; });
}
Tensor less(const Tensor& a, const Tensor& b) {
  return compare("less", a, b, [](auto x, auto y) { return x < y; });
}
Tensor less_equal(const Tensor& a, const Tensor& b) {
  return compare("less_equal", a, b, [](auto x, auto y) { return x <= y; });
}
Tensor greater(const Tensor& a, const Tensor& b) {
  return compare("greater", a, b, [](auto x, auto y) { return x > y; });
}
Tensor greater_equal(const Tensor& a, const Tensor& b) {
  return compare("greater_equal", a, b, [](auto x, auto y) { return x >= y; });
}

Tensor equal(const Tensor& a, double b) { return equal(a, scalar_like(b, a.dtype(), "equal")); }
Tensor not_equal(const Tensor& a, double b) { return not_equal(a, scalar_like(b, a.dtype(), "not_equal")); }
Tensor less(const Tensor& a, double b) { return less(a, scalar_like(b, a.dtype(), "less")); }
Tensor less_equal(const Tensor& a, double b) { return less_equal(a, scalar_like(b, a.dtype(), "less_equal")); }
Tensor greater(const Tensor& a, double b) { return greater(a, scalar_like(b, a.dtype(), "greater")); }
Tensor greater_equal(const Tensor& a, double b) {
  return greater_equal(a, scalar_like(b, a.dtype(), "greater_equal"));
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  SPOOL_CHECK(cond.dtype() == DType::kU8, InvalidArgument, "where: the condition must be u8, got ",
              dtype_name(cond.dtype()));
  const kernels::BinaryLayout ab = kernels::binary_layout("where", a, b);
  const Shape shape = broadcast_shapes(cond.shape(), ab.shape, "where");
  Tensor out = Tensor::empty(shape, a.dtype());
  const kernels::StridedLoop loop(shape, {out.strides(), cond.broadcast_to(shape).strides(),
                                          a.broadcast_to(shape).strides(), b.broadcast_to(shape).strides()});
  visit_dtype(a.dtype(), [&]<typename T>() {
    select(loop, out.data<T>(), cond.data<std::uint8_t>(), a.data<T>(), b.data<T>());
  });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, double b) { return where(cond, a, scalar_like(b, a.dtype(), "where")); }
Tensor where(const Tensor& cond, double a, const Tensor& b) { return where(cond, scalar_like(a, b.dtype(), "where"), b); }

}  // namespace spool::kernels
