// TFRecord throughput, each Spool figure beside its reference on the same bytes:
//   read/plain_read/<rec>       read() of the file into a 1 MiB buffer (the ceiling)
//   read/tfrecord/buffered/<rec>  TFRecordReader (the default: read() into buffers), every CRC checked
//   read/tfrecord/mmap/<rec>    the same with use_mmap(true)
//   gzip/zlib_gzread            zlib's own gzip file reading (gzread), the reference
//   gzip/zlib_inflate           raw inflate of the gzip bytes already in memory (a ceiling)
//   gzip/libdeflate_inflate     libdeflate's one-call inflate of the same bytes (its ceiling)
//   gzip/tfrecord[/mmap]        TFRecordReader on that gzip file (default, or mapped input):
//                               the file is over whole_inflate_limit, so zlib streams it
//   gzip/tfrecord/whole         the same with the limit raised: read and inflated whole
//                               (libdeflate), the records viewed in the inflated bytes
//   write/tfrecord/{none,gzip}  TFRecordWriter, for information
// Files (256 MiB of 4 KiB and of 100 KiB records, and a gzip one) are written once to
// a temporary folder ($TMPDIR) and removed at exit; the first pass page-caches them.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "spool/data/io/tfrecord_reader.h"
#include "spool/data/io/tfrecord_writer.h"

namespace spool::data {
namespace {

constexpr std::uint64_t kFileBytes = 256ull << 20;

// Compressible like real serialized Examples (about 3:1 with gzip), not constant.
std::string payload(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>("feature/image/label:0123456789 "[rng() % 31]);
  return s;
}

class Files {
 public:
  static Files& get() {
    static Files files;
    return files;
  }
  const std::string& file(std::size_t record_bytes, Compression c) {
    const std::string key = std::to_string(record_bytes) + (c == Compression::kGzip ? ".gz" : "");
    std::string& path = paths_[key];
    if (path.empty()) {
      path = (dir_ / ("bench-" + key + ".tfrecord")).string();
      write(path, record_bytes, WriterOptions().compression(c));
    }
    return path;
  }
  std::filesystem::path dir() const { return dir_; }
  ~Files() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static std::uint64_t write(const std::string& path, std::size_t record_bytes, WriterOptions options) {
    const std::vector<std::string> payloads = {payload(record_bytes, 1), payload(record_bytes, 2), payload(record_bytes, 3)};
    TFRecordWriter writer(path, options);
    for (std::uint64_t i = 0; writer.bytes_written() + record_bytes + 16 <= kFileBytes; ++i) {
      writer.write(payloads[i % payloads.size()]);
    }
    writer.close();
    return writer.bytes_written();
  }

 private:
  Files() : dir_(std::filesystem::temp_directory_path() / ("spool-bench-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  std::filesystem::path dir_;
  std::map<std::string, std::string> paths_;
};

void bm_plain_read(benchmark::State& state) {
  const std::string& path = Files::get().file(static_cast<std::size_t>(state.range(0)), Compression::kNone);
  std::vector<char> buf(1 << 20);
  std::uint64_t total = 0;
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    ssize_t n = 0;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) total += static_cast<std::uint64_t>(n);
    ::close(fd);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

void read_all(benchmark::State& state, const std::string& path, const RecordOptions& options) {
  std::uint64_t total = 0;
  for (auto _ : state) {
    TFRecordReader reader(path, options);
    while (std::optional<Record> r = reader.next()) benchmark::DoNotOptimize(r->data.raw_data());
    total += reader.offset();  // framed bytes: the same count plain_read makes
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

void bm_tfrecord_mmap(benchmark::State& state) {
  read_all(state, Files::get().file(static_cast<std::size_t>(state.range(0)), Compression::kNone),
           RecordOptions().use_mmap(true));
}

void bm_tfrecord_buffered(benchmark::State& state) {
  read_all(state, Files::get().file(static_cast<std::size_t>(state.range(0)), Compression::kNone),
           RecordOptions().use_mmap(false));
}

void bm_zlib_inflate(benchmark::State& state) {
  const std::string& path = Files::get().file(4096, Compression::kGzip);
  std::ifstream in(path, std::ios::binary);
  const std::string packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<unsigned char> out(256 * 1024);
  std::uint64_t total = 0;
  for (auto _ : state) {
    z_stream zs{};
    inflateInit2(&zs, 16 + MAX_WBITS);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    zs.avail_in = static_cast<uInt>(packed.size());
    int ret = Z_OK;
    while (ret == Z_OK) {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      ret = inflate(&zs, Z_NO_FLUSH);
    }
    total += zs.total_out;
    inflateEnd(&zs);
    if (ret != Z_STREAM_END) state.SkipWithError("inflate failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

void bm_libdeflate_inflate(benchmark::State& state) {
  const std::string& path = Files::get().file(4096, Compression::kGzip);
  std::ifstream in(path, std::ios::binary);
  const std::string packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<unsigned char> out(kFileBytes);
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  std::uint64_t total = 0;
  for (auto _ : state) {
    std::size_t n = 0;
    if (libdeflate_gzip_decompress(d, packed.data(), packed.size(), out.data(), out.size(), &n) != LIBDEFLATE_SUCCESS) {
      state.SkipWithError("libdeflate_gzip_decompress failed");
    }
    total += n;
  }
  libdeflate_free_decompressor(d);
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

// zlib's own reading of a gzip file: gzread through zlib's file layer into a 256 KiB
// buffer, the file read included, as the reader must read it too.
void bm_zlib_gzread(benchmark::State& state) {
  const std::string& path = Files::get().file(4096, Compression::kGzip);
  std::vector<char> out(256 * 1024);
  std::uint64_t total = 0;
  for (auto _ : state) {
    gzFile f = gzopen(path.c_str(), "rb");
    gzbuffer(f, 256 * 1024);
    int n = 0;
    while ((n = gzread(f, out.data(), static_cast<unsigned>(out.size()))) > 0) total += static_cast<std::uint64_t>(n);
    gzclose(f);
    if (n < 0) state.SkipWithError("gzread failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

void bm_tfrecord_gzip(benchmark::State& state) {
  read_all(state, Files::get().file(4096, Compression::kGzip), RecordOptions());
}

void bm_tfrecord_gzip_whole(benchmark::State& state) {
  read_all(state, Files::get().file(4096, Compression::kGzip), RecordOptions().whole_inflate_limit(2 * kFileBytes));
}

void bm_tfrecord_gzip_mmap(benchmark::State& state) {
  read_all(state, Files::get().file(4096, Compression::kGzip), RecordOptions().use_mmap(true));
}

void bm_write(benchmark::State& state, Compression c) {
  const std::string path = (Files::get().dir() / "written.tfrecord").string();
  std::uint64_t total = 0;
  for (auto _ : state) total += Files::write(path, 4096, WriterOptions().compression(c));
  std::filesystem::remove(path);
  state.SetBytesProcessed(static_cast<std::int64_t>(total));
}

void record_sizes(benchmark::internal::Benchmark* b) { b->Arg(4096)->Arg(100 * 1024)->Unit(benchmark::kMillisecond); }

BENCHMARK(bm_plain_read)->Name("read/plain_read")->Apply(record_sizes);
BENCHMARK(bm_tfrecord_mmap)->Name("read/tfrecord/mmap")->Apply(record_sizes);
BENCHMARK(bm_tfrecord_buffered)->Name("read/tfrecord/buffered")->Apply(record_sizes);
BENCHMARK(bm_zlib_inflate)->Name("gzip/zlib_inflate")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_libdeflate_inflate)->Name("gzip/libdeflate_inflate")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_zlib_gzread)->Name("gzip/zlib_gzread")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_tfrecord_gzip)->Name("gzip/tfrecord")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_tfrecord_gzip_mmap)->Name("gzip/tfrecord/mmap")->Unit(benchmark::kMillisecond);
BENCHMARK(bm_tfrecord_gzip_whole)->Name("gzip/tfrecord/whole")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_write, none, Compression::kNone)->Name("write/tfrecord/none")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_write, gzip, Compression::kGzip)->Name("write/tfrecord/gzip")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace spool::data
