// conv2d forward: im2col blocks × filter through kernels::sgemm, with the bias and
// activation applied to each block while it is still in cache.
// N batch, H,W input spatial, C_in/C_out channels, KH,KW filter size, R output rows
// (pixels) of one block, P = KH·KW·C_in the patch length.
#include <algorithm>

#include "spool/tensor/kernels/conv2d.h"
#include "spool/tensor/kernels/gemm.h"
#include "spool/tensor/thread_pool.h"

namespace spool::kernels {

void conv2d(const Window2D& g, std::int64_t c_out, const float* x, const float* filter, const float* bias,
            Activation activation, float* y) {
  const std::int64_t rows = g.rows();
  const std::int64_t p = g.patch();
  if (rows == 0 || c_out == 0) return;
  if (conv2d_direct_supported(g, c_out)) return conv2d_direct(g, c_out, x, filter, bias, activation, y);
  const bool epilogue = bias != nullptr || activation != Activation::kNone;
  if (g.is_pointwise()) {
    // X is already the im2col matrix [N·H·W, C_in].
    sgemm(false, false, rows, c_out, p, 1.0f, x, p, filter, c_out, 0.0f, y, c_out);
    if (epilogue) bias_activation(y, bias, activation, rows, c_out, y);
    return;
  }
  // Blocks have a fixed size whatever the thread count and each output row comes from
  // exactly one sgemm call, so y is reproducible (the split only decides who works).
  const std::int64_t block = im2col_block_rows(g);
  const std::int64_t blocks = (rows + block - 1) / block;
  parallel_for(blocks, 1, [&](std::int64_t first, std::int64_t last) {
    float* cols = im2col_scratch(block * p);
    for (std::int64_t b = first; b < last; ++b) {
      const std::int64_t r0 = b * block;
      const std::int64_t r1 = std::min(rows, r0 + block);
      im2col(g, x, r0, r1, cols);
      float* out = y + r0 * c_out;
      sgemm(false, false, r1 - r0, c_out, p, 1.0f, cols, p, filter, c_out, 0.0f, out, c_out);
      if (epilogue) bias_activation_rows(out, bias, activation, r1 - r0, c_out, out);
    }
  });
}

}  // namespace spool::kernels
