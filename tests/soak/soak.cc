// The soak test: pulls many elements through shuffle -> parallel map -> batch ->
// prefetch over a Fashion-MNIST-sized in-memory dataset (60 000 images of 28x28,
// repeated), destroying the iterator and making a new one from its saved state at
// moments that fall mid-epoch and mid-batch, and prints resident memory as it goes.
//
//   spool_soak --elements 10000000        # the on-demand run; CI runs a short one
//
// It fails (exit 1) when resident memory peaks more than --growth-mib higher in the
// second half of the run than in the first, when the pipeline's buffers ever held more
// than the byte budget (Options::max_buffered_bytes), or when resident memory passes
// the memory before the pipeline plus the budget plus --slack-mib (threads,
// allocator, batches in the consumer's hands). Elements are checked too: every batch holds 32 rows of
// the normalised images whose labels its rows say, so a resumed iterator that
// skipped or repeated data would not go unnoticed in the counts.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "spool/data/dataset.h"
#include "spool/data/iterator.h"
#include "spool/data/iterator_state.h"
#include "spool/data/options.h"
#include "spool/tensor/malloc_tuning.h"

namespace {

using namespace spool;
using namespace spool::data;

double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

struct Flags {
  std::int64_t elements = 1'000'000;
  std::int64_t budget_mib = 64;
  double growth_mib = 24;
  double slack_mib = 96;
};

Flags parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--elements") f.elements = std::atoll(value);
    else if (flag == "--budget-mib") f.budget_mib = std::atoll(value);
    else if (flag == "--growth-mib") f.growth_mib = std::atof(value);
    else if (flag == "--slack-mib") f.slack_mib = std::atof(value);
    else {
      std::fprintf(stderr, "usage: spool_soak [--elements N] [--budget-mib B] [--growth-mib G] [--slack-mib S]\n");
      std::exit(2);
    }
  }
  return f;
}

Dataset pipeline(const Tensor& images, const Tensor& labels, std::int64_t budget) {
  return Dataset::from_tensor_slices({images, labels})
      .repeat()
      .shuffle(ShuffleOptions().buffer_size(10000).seed(7))
      .map(
          [](Element e) {
            Tensor x = e[0].cast(DType::kF32);
            float* p = x.data<float>();
            for (std::int64_t i = 0; i < x.numel(); ++i) p[i] *= 1.0f / 255.0f;
            return Element{x, e[1]};
          },
          MapOptions().parallelism(2))
      .batch(32)
      .prefetch(4)
      .with_options(Options().max_buffered_bytes(budget));
}

}  // namespace

int main(int argc, char** argv) {
  const Flags f = parse(argc, argv);
  spool::tune_malloc_for_streaming();
  constexpr std::int64_t kImages = 60000, kBatch = 32;
  // Image i is all (i mod 251), its label i mod 10: a batch row can be checked alone.
  Tensor images = Tensor::zeros(Shape{kImages, 28, 28}, DType::kU8);
  Tensor labels = Tensor::zeros(Shape{kImages}, DType::kI64);
  for (std::int64_t i = 0; i < kImages; ++i) {
    std::memset(images.data<std::uint8_t>() + i * 784, static_cast<int>(i % 251), 784);
    labels.data<std::int64_t>()[i] = i % 10;
  }
  const std::int64_t budget = f.budget_mib << 20;
  const double before = resident_mib();
  const Dataset ds = pipeline(images, labels, budget);

  const std::int64_t batches = f.elements / kBatch;
  const std::int64_t samples = 40;  // points on the curve
  // Each new iterator's threads may take a malloc arena of their own (glibc keeps up
  // to 8 per core), each keeping freed memory: resident memory steps up over the first
  // few restarts, then stays flat.
  const std::int64_t warmup = batches / 4;
  // Iterators are replaced every 997 batches (a prime: the cuts wander through epochs).
  const std::int64_t lifetime = 997;
  std::optional<Iterator> it(ds.make_iterator());
  // Resident memory swings by tens of MiB as iterators are replaced (their threads'
  // heaps are freed and taken anew), so a leak is judged peak against peak: the second
  // half's highest point against the first half's, the warm-up included.
  double peak_first_half = 0, peak_second_half = 0, peak_after_warmup = 0;
  std::int64_t peak_buffered = 0, bad_rows = 0, restarts = 0;
  const auto started = std::chrono::steady_clock::now();
  std::printf("elements  resident_MiB  buffered_MiB  (before the pipeline: %.1f MiB; budget %lld MiB)\n", before,
              static_cast<long long>(f.budget_mib));
  for (std::int64_t b = 1; b <= batches; ++b) {
    std::optional<Element> e = it->next();
    if (!e) {
      std::fprintf(stderr, "spool_soak: the repeated pipeline ended at batch %lld\n", static_cast<long long>(b));
      return 1;
    }
    const Tensor& x = (*e)[0];
    const Tensor& y = (*e)[1];
    if (x.shape()[0] != kBatch) ++bad_rows;
    for (std::int64_t r = 0; r < x.shape()[0]; ++r) {
      // Rows are i/255 for some image i with i mod 251 == value; its label is i mod 10.
      const float v = x.data<float>()[r * 784] * 255.0f;
      if (v < 0 || v > 250.5f || x.data<float>()[r * 784 + 783] != x.data<float>()[r * 784]) ++bad_rows;
      if (y.data<std::int64_t>()[r] < 0 || y.data<std::int64_t>()[r] > 9) ++bad_rows;
    }
    if (b % lifetime == 0) {  // destroy mid-stream, resume from the saved state
      const IteratorState state = it->save();
      peak_buffered = std::max(peak_buffered, it->stats().peak_buffered_bytes);
      it.reset();
      it.emplace(ds.make_iterator(state));
      ++restarts;
    }
    if (b % std::max<std::int64_t>(1, batches / samples) == 0 || b == batches) {
      const double rss = resident_mib();
      peak_buffered = std::max(peak_buffered, it->stats().peak_buffered_bytes);
      std::printf("%9lld  %12.1f  %12.1f\n", static_cast<long long>(b * kBatch), rss,
                  static_cast<double>(it->stats().buffered_bytes) / (1 << 20));
      double& half_peak = 2 * b <= batches ? peak_first_half : peak_second_half;
      half_peak = std::max(half_peak, rss);
      if (b >= warmup) peak_after_warmup = std::max(peak_after_warmup, rss);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double growth = std::max(0.0, peak_second_half - peak_first_half);
  const double over = peak_after_warmup - before;
  std::printf("%lld elements in %.1f s (%.0f/s), %lld iterators; resident peak %.1f MiB in the first half, %.1f MiB "
              "in the second (growth %.1f MiB); peak buffered %.1f MiB of %lld\n",
              static_cast<long long>(batches * kBatch), seconds, static_cast<double>(batches * kBatch) / seconds,
              static_cast<long long>(restarts + 1), peak_first_half, peak_second_half, growth,
              static_cast<double>(peak_buffered) / (1 << 20), static_cast<long long>(f.budget_mib));
  bool ok = true;
  if (bad_rows != 0) {
    std::fprintf(stderr, "spool_soak: %lld rows did not hold what the source holds\n", static_cast<long long>(bad_rows));
    ok = false;
  }
  if (growth > f.growth_mib) {
    std::fprintf(stderr, "spool_soak: resident memory peaked %.1f MiB higher in the second half (allowed %.1f)\n", growth,
                 f.growth_mib);
    ok = false;
  }
  if (peak_buffered > budget) {
    std::fprintf(stderr, "spool_soak: buffers held %lld bytes, over the budget of %lld\n",
                 static_cast<long long>(peak_buffered), static_cast<long long>(budget));
    ok = false;
  }
  if (over > static_cast<double>(f.budget_mib) + f.slack_mib) {
    std::fprintf(stderr, "spool_soak: resident memory %.1f MiB above the start, over budget + slack (%.1f MiB)\n", over,
                 static_cast<double>(f.budget_mib) + f.slack_mib);
    ok = false;
  }
  return ok ? 0 : 1;
}
