// conv2d backward passes through kernels::sgemm:
//   dX = col2im(dY · Wᵀ)          per image, since col2im of one image's rows adds into
//                                 overlapping pixels and must stay on one thread;
//   dW = Σ_blocks im2col(X)ᵀ · dY  per-chunk partials, added in chunk order (the bias
//                                 gradient likewise, from the same dY blocks).
// N batch, H,W input spatial, C_in/C_out channels, KH,KW filter size, R output rows
// (pixels) of one block, P = KH·KW·C_in the patch length.
#include <algorithm>
#include <vector>

#include "spool/tensor/kernels/conv2d.h"
#include "spool/tensor/kernels/gemm.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {

namespace {
constexpr std::int64_t kTransposedMaxChannels = 4;
}  // namespace

void conv2d_backward_input(const Window2D& g, std::int64_t c_out, const float* dy, const float* filter, float* dx) {
  const std::int64_t p = g.patch();
  const std::int64_t image = g.in_h * g.in_w * g.channels;
  if (g.is_pointwise()) {
    sgemm(false, true, g.rows(), g.channels, c_out, 1.0f, dy, c_out, filter, c_out, 0.0f, dx, g.channels);
    return;
  }
  const std::int64_t per_image = g.out_pixels();
  const std::int64_t block = std::min(im2col_block_rows(g), std::max<std::int64_t>(per_image, 1));
  // With few input channels a patch row is short (9 or 27 floats): the GEMM fills its
  // 16-wide tiles better as Wᵀ-major (P × R), and the adds run along output rows.
  const bool transposed = g.channels <= kTransposedMaxChannels;
  parallel_for(g.batch, 1, [&](std::int64_t n0, std::int64_t n1) {
    std::fill(dx + n0 * image, dx + n1 * image, 0.0f);
    float* dcols = im2col_scratch(block * p);
    for (std::int64_t n = n0; n < n1; ++n) {
      for (std::int64_t r0 = n * per_image; r0 < (n + 1) * per_image; r0 += block) {
        const std::int64_t r1 = std::min((n + 1) * per_image, r0 + block);
        if (transposed) {
          sgemm(false, true, p, r1 - r0, c_out, 1.0f, filter, c_out, dy + r0 * c_out, c_out, 0.0f, dcols, r1 - r0);
          col2im_transposed_add(g, dcols, r1 - r0, r0, r1, dx);
        } else {
          sgemm(false, true, r1 - r0, p, c_out, 1.0f, dy + r0 * c_out, c_out, filter, c_out, 0.0f, dcols, p);
          col2im_add(g, dcols, r0, r1, dx);
        }
      }
    }
  });
}

void conv2d_backward_filter(const Window2D& g, std::int64_t c_out, const float* x, const float* dy,
                            float* dfilter, float* dbias) {
  const std::int64_t rows = g.rows();
  const std::int64_t p = g.patch();
  const std::int64_t size = p * c_out;
  if (g.is_pointwise()) {
    sgemm(true, false, p, c_out, rows, 1.0f, x, p, dy, c_out, 0.0f, dfilter, c_out);
    if (dbias) bias_grad(dy, rows, c_out, dbias);
    return;
  }
  const std::int64_t block = im2col_block_rows(g);
  const std::int64_t blocks = (rows + block - 1) / block;
  // The cut depends only on (blocks, thread count), never on timing.
  const std::int64_t chunks = std::max<std::int64_t>(parallel_chunks(blocks, 1), 1);
  std::vector<float> partials(static_cast<std::size_t>((chunks - 1) * size));
  std::vector<double> bias_partials(dbias ? static_cast<std::size_t>(chunks * c_out) : 0, 0.0);
  parallel_for(chunks, 1, [&](std::int64_t k0, std::int64_t k1) {
    float* cols = im2col_scratch(block * p);
    for (std::int64_t k = k0; k < k1; ++k) {
      float* acc = k == 0 ? dfilter : partials.data() + (k - 1) * size;
      const std::int64_t b0 = blocks * k / chunks;
      const std::int64_t b1 = blocks * (k + 1) / chunks;
      if (b0 == b1) std::fill(acc, acc + size, 0.0f);
      for (std::int64_t b = b0; b < b1; ++b) {
        const std::int64_t r0 = b * block;
        const std::int64_t r1 = std::min(rows, r0 + block);
        im2col(g, x, r0, r1, cols);
        sgemm(true, false, p, c_out, r1 - r0, 1.0f, cols, p, dy + r0 * c_out, c_out, b == b0 ? 0.0f : 1.0f, acc,
              c_out);
        if (dbias) bias_grad_rows(dy + r0 * c_out, r1 - r0, c_out, bias_partials.data() + k * c_out);
      }
    }
  });
  for (std::int64_t k = 1; k < chunks; ++k) {
    const float* part = partials.data() + (k - 1) * size;
    for (std::int64_t i = 0; i < size; ++i) dfilter[i] += part[i];
  }
  if (dbias) {
    for (std::int64_t c = 0; c < c_out; ++c) {
      double sum = 0;
      for (std::int64_t k = 0; k < chunks; ++k) sum += bias_partials[static_cast<std::size_t>(k * c_out + c)];
      dbias[c] = static_cast<float>(sum);
    }
  }
}

}  // namespace spool::kernels
