#include "app/cli/ceilings.h"

#include <dlfcn.h>

#include <chrono>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "app/cli/cli_common.h"
#include "engine/attention/attention.h"
#include "engine/attention/scaling_sweep.h"
#include "engine/util/format.h"
#include "engine/attention/tile_gemm.h"
#include "engine/util/types.h"

namespace attnscope {

namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX2__) || defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
// Enough independent chains to cover the FMA latency (4–5 cycles) on two FMA ports, with registers to spare.
constexpr int kChains = 12;
using Lane = float __attribute__((vector_size(kLanes * sizeof(float))));

// kChains chains of `iterations` a · x + b each; the result is kept so the loop is not removed.
__attribute__((noinline)) float fmaChains(long iterations, float seed) {
  Lane acc[kChains], x, y;
  for (int l = 0; l < kLanes; ++l) x[l] = 0.999999f, y[l] = 1e-7f * seed;
  for (int c = 0; c < kChains; ++c)
    for (int l = 0; l < kLanes; ++l) acc[c][l] = seed + float(c + l);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * x + y;  // contracted to one FMA with -ffp-contract=fast
  float sum = 0;
  for (int c = 0; c < kChains; ++c)
    for (int l = 0; l < kLanes; ++l) sum += acc[c][l];
  return sum;
}

}  // namespace

int fmaLanes() { return kLanes; }

TileBackend readTileBackend(const QString& text) {
  if (text == QStringLiteral("eigen")) return TileBackend::Eigen;
  if (text == QStringLiteral("libxsmm") && libxsmmAvailable()) return TileBackend::Libxsmm;
  throw cli::UsageError("--backend " + quoted(text.toStdString()) + " is not allowed: expected " +
                        (libxsmmAvailable() ? "libxsmm or eigen" : "eigen (this build has no libxsmm)"));
}

double fmaPeakGflops(int threads, int repeat) {
  const long iterations = 20'000'000;
  volatile float sink = 0;
  const auto chains = [&] {
#pragma omp parallel num_threads(threads)
    {
      const float r = fmaChains(iterations, 1.0f);
#pragma omp atomic
      sink += r;
    }
  };
  const double seconds = 1e-3 * bestOfMs(repeat, chains);
  (void)sink;
  return 2.0 * kLanes * kChains * double(iterations) * threads / seconds / 1e9;
}

double tileProductsGflops(int repeat) {
  const FullTile tile = fullAttentionTile();  // the full kernel's own tile on this instruction set
  const Index rows = tile.rows, cols = tile.cols, d = 64, reps = 400 * 96 * 256 / (rows * cols);
  const Matrix q = Matrix::Random(rows, d), kt = Matrix::Random(d, cols), v = Matrix::Random(cols, d);
  Matrix s(rows, cols), acc = Matrix::Zero(rows, d);
  const auto pairs = [&] {
    for (Index r = 0; r < reps; ++r) {
      tileScores(rows, cols, d, q.data(), d, kt.data(), cols, s.data(), cols);
      tileAccumulate(rows, cols, d, s.data(), cols, v.data(), d, acc.data(), d);
    }
  };
  const double seconds = 1e-3 * bestOfMs(repeat, pairs);
  volatile float sink = acc(0, 0);
  (void)sink;
  return 4.0 * rows * cols * d * reps / seconds / 1e9;
}

namespace {

// OpenBLAS's entry points, found once with dlopen/dlsym (null when absent).
struct OpenBlas {
  using Sgemm = void (*)(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                         const float* b, int ldb, float beta, float* c, int ldc);
  Sgemm sgemm = nullptr;
  void (*setThreads)(int) = nullptr;
  char* (*config)() = nullptr;
  char* (*coreName)() = nullptr;
};

const OpenBlas& openBlas() {
  static const OpenBlas lib = [] {
    OpenBlas b;
    // Kept open for the life of the process: OpenBLAS's worker threads live as long as it is loaded.
    void* handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return b;
    b.sgemm = reinterpret_cast<OpenBlas::Sgemm>(dlsym(handle, "cblas_sgemm"));
    b.setThreads = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"));
    b.config = reinterpret_cast<char* (*)()>(dlsym(handle, "openblas_get_config"));
    b.coreName = reinterpret_cast<char* (*)()>(dlsym(handle, "openblas_get_corename"));
    return b;
  }();
  return lib;
}

}  // namespace

std::optional<double> openblasSgemmGflops(int threads, int repeat) {
  const OpenBlas& lib = openBlas();
  if (!lib.sgemm) return std::nullopt;
  if (lib.setThreads) lib.setThreads(threads);
  const int s = 1024;
  const Matrix a = Matrix::Random(s, s), b = Matrix::Random(s, s);
  Matrix c(s, s);
  constexpr int kRowMajor = 101, kNoTrans = 111;  // CBLAS's enumerators
  const auto product = [&] {
    lib.sgemm(kRowMajor, kNoTrans, kNoTrans, s, s, s, 1.0f, a.data(), s, b.data(), s, 0.0f, c.data(), s);
  };
  const double seconds = 1e-3 * bestOfMs(repeat, product);
  // Its workers spin for a while after a call before they sleep: back to one thread, and let them go to sleep so
  // they take no cycles from the kernels timed next.
  if (lib.setThreads) lib.setThreads(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return 2.0 * double(s) * s * s / seconds / 1e9;
}

std::string openblasDescription() {
  const OpenBlas& lib = openBlas();
  if (!lib.sgemm) return {};
  // Its configuration starts "OpenBLAS 0.3.21 DYNAMIC_ARCH …": keep the name and version, add the core it chose.
  std::string d = lib.config ? lib.config() : "OpenBLAS";
  const auto second = d.find(' ', d.find(' ') + 1);
  if (second != std::string::npos) d.resize(second);
  if (lib.coreName) d += std::string(", ") + lib.coreName() + " kernels";
  return d;
}

double eigenSgemmGflops(int repeat) {
  const Index s = 1024;
  const Matrix a = Matrix::Random(s, s), b = Matrix::Random(s, s);
  Matrix c(s, s);
  const double seconds = 1e-3 * bestOfMs(repeat, [&] { c.noalias() = a * b; });
  return 2.0 * double(s) * s * s / seconds / 1e9;
}

}  // namespace attnscope
