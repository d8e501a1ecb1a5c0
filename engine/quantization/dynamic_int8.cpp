#include "engine/quantization/dynamic_int8.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__AVX512VNNI__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "engine/util/error.h"

namespace attnscope {

namespace {

constexpr Index kPanel = Int8Linear::kPanel;

// The 4 bytes of row r at group g, as one int32 (what vpdpbusd broadcasts).
inline std::int32_t fourBytes(const std::uint8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

#if defined(__AVX512VNNI__) && defined(__AVX512F__)
// R rows × one panel (4 vectors of 16 outputs): 4R accumulators, 4 weight vectors and a broadcast in registers.
template <int R, typename Store>
void panelRows(const std::uint8_t* x, Index ldx, const std::int8_t* w, Index groups, const Store& store) {
  __m512i c[R][4];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < 4; ++v) c[r][v] = _mm512_setzero_si512();
  for (Index g = 0; g < groups; ++g) {
    const std::int8_t* wg = w + g * kPanel * 4;
    const __m512i w0 = _mm512_loadu_si512(wg), w1 = _mm512_loadu_si512(wg + 64), w2 = _mm512_loadu_si512(wg + 128),
                  w3 = _mm512_loadu_si512(wg + 192);
    for (int r = 0; r < R; ++r) {
      const __m512i b = _mm512_set1_epi32(fourBytes(x + r * ldx + 4 * g));
      c[r][0] = _mm512_dpbusd_epi32(c[r][0], b, w0);
      c[r][1] = _mm512_dpbusd_epi32(c[r][1], b, w1);
      c[r][2] = _mm512_dpbusd_epi32(c[r][2], b, w2);
      c[r][3] = _mm512_dpbusd_epi32(c[r][3], b, w3);
    }
  }
  for (int r = 0; r < R; ++r) {
    alignas(64) std::int32_t row[kPanel];
    for (int v = 0; v < 4; ++v) _mm512_store_si512(row + 16 * v, c[r][v]);
    store(r, 0, row, kPanel);
  }
}
// Five rows: 20 accumulators, 4 weight vectors and a broadcast. Measured on the 128 × 768 × 3,072 product (one thread,
// AMD EPYC with AVX-512 VNNI): 3 rows 211–222 G multiply-adds·2 a second, 4 rows 217–219, 5 rows 232–237, 6 rows
// 162–176 (the compiler runs short of registers), 7 rows 170–174.
constexpr int kRows = 5;
#elif defined(__AVX2__)
// R rows × one panel, 8 outputs a vector: vpmaddubsw multiplies uint8 by int8 and adds neighbouring pairs into int16
// (exact: inputs ≤ 127 keep each pair within ±32,512), vpmaddwd by ones adds those pairs into int32.
template <int R, typename Store>
void panelRows(const std::uint8_t* x, Index ldx, const std::int8_t* w, Index groups, const Store& store) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (Index half = 0; half < 2; ++half) {  // the panel's outputs 32 at a time: 4R accumulators in 16 registers
    __m256i c[R][4];
    for (int r = 0; r < R; ++r)
      for (int v = 0; v < 4; ++v) c[r][v] = _mm256_setzero_si256();
    for (Index g = 0; g < groups; ++g) {
      const std::int8_t* wg = w + g * kPanel * 4 + half * 128;
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg)),
                    w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg + 32)),
                    w2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg + 64)),
                    w3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg + 96));
      for (int r = 0; r < R; ++r) {
        const __m256i b = _mm256_set1_epi32(fourBytes(x + r * ldx + 4 * g));
        c[r][0] = _mm256_add_epi32(c[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(b, w0), ones));
        c[r][1] = _mm256_add_epi32(c[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(b, w1), ones));
        c[r][2] = _mm256_add_epi32(c[r][2], _mm256_madd_epi16(_mm256_maddubs_epi16(b, w2), ones));
        c[r][3] = _mm256_add_epi32(c[r][3], _mm256_madd_epi16(_mm256_maddubs_epi16(b, w3), ones));
      }
    }
    for (int r = 0; r < R; ++r) {
      alignas(32) std::int32_t row[32];
      for (int v = 0; v < 4; ++v) _mm256_store_si256(reinterpret_cast<__m256i*>(row + 8 * v), c[r][v]);
      store(r, half * 32, row, 32);
    }
  }
}
// Two rows (8 accumulators in 16 registers): measured 194–196 against 198–204 with 3 rows, whose whole layer was
// slower (138 against 177), and 169–173 with 4.
constexpr int kRows = 2;
#else
template <int R, typename Store>
void panelRows(const std::uint8_t* x, Index ldx, const std::int8_t* w, Index groups, const Store& store) {
  for (int r = 0; r < R; ++r) {
    std::int32_t row[kPanel];
    for (Index c = 0; c < kPanel; ++c) {
      std::int32_t sum = 0;
      for (Index g = 0; g < groups; ++g)
        for (int k = 0; k < 4; ++k) sum += std::int32_t(x[r * ldx + 4 * g + k]) * w[(g * kPanel + c) * 4 + k];
      row[c] = sum;
    }
    store(r, 0, row, kPanel);
  }
}
constexpr int kRows = 4;
#endif

// `rows` (1 … R) rows over one panel; store(r, first, sums, count) receives row r's sums for the panel's outputs
// first … first + count − 1 (some past the layer's last output when the panel is its last).
template <int R, typename Store>
void panelRowsUpTo(int rows, const std::uint8_t* x, Index ldx, const std::int8_t* w, Index groups, const Store& store) {
  if constexpr (R > 1) {
    if (rows == R) return panelRows<R>(x, ldx, w, groups, store);
    return panelRowsUpTo<R - 1>(rows, x, ldx, w, groups, store);
  } else {
    panelRows<1>(x, ldx, w, groups, store);
  }
}

// Every row block over every panel, shared among OpenMP's threads; `store(row, output, sums, count)` gets absolute
// positions. A panel (in × 64 bytes: 48 KiB at in = 768) stays in L2 while a thread walks the rows under it.
template <typename Store>
void everyPanel(Index n, Index in, Index out, Index groups, const std::int8_t* panels, const std::uint8_t* xq,
                Index ldx, const Store& store) {
  const Index panelCount = (out + kPanel - 1) / kPanel, rowBlocks = (n + kRows - 1) / kRows;
  const double work = double(n) * double(in) * double(out);
#pragma omp parallel for collapse(2) schedule(static) if (work > 4e6)
  for (Index p = 0; p < panelCount; ++p)
    for (Index rb = 0; rb < rowBlocks; ++rb) {
      const Index r0 = rb * kRows, o0 = p * kPanel;
      panelRowsUpTo<kRows>(int(std::min<Index>(kRows, n - r0)), xq + r0 * ldx, ldx, panels + p * groups * kPanel * 4,
                           groups, [&](int r, Index first, const std::int32_t* sums, Index count) {
                             const Index o = o0 + first, width = std::min(count, out - o);
                             if (width > 0) store(r0 + r, o, sums, width);
                           });
    }
}

}  // namespace

const char* int8KernelName() {
#if defined(__AVX512VNNI__) && defined(__AVX512F__)
  return "AVX-512 VNNI (vpdpbusd)";
#elif defined(__AVX2__)
  return "AVX2 (vpmaddubsw + vpmaddwd)";
#else
  return "portable C++";
#endif
}

float int8WeightScale(std::span<const float> weights) {
  float largest = 0;
  for (float w : weights) largest = std::max(largest, std::fabs(w));
  return std::max(largest / 127.5f, std::numeric_limits<float>::epsilon());
}

std::int8_t quantizeInt8(float value, float scale) {
  const float q = std::nearbyint(value * (1.0f / scale));
  if (std::isnan(q)) return 0;
  return std::int8_t(std::clamp(q, -128.0f, 127.0f));
}

ActivationQuantization chooseActivationQuantization(float lo, float hi) {
  constexpr int qmin = 0, qmax = 127;        // 255 halved by reduce_range
  constexpr float kSmallestScale = 6.1e-5f;  // PyTorch's SMALL_SCALE_THRESHOLD
  float min = std::min(lo, 0.0f), max = std::max(hi, 0.0f);
  double scale = (double(max) - min) / (qmax - qmin);
  if (float(scale) == 0.0f || std::isinf(1.0f / float(scale))) scale = 0.1;
  if (scale < kSmallestScale) {
    const float original = float(scale);
    scale = kSmallestScale;
    if (min == 0.0f) {
      max = kSmallestScale * (qmax - qmin);
    } else if (max == 0.0f) {
      min = -kSmallestScale * (qmax - qmin);
    } else {
      const float widen = kSmallestScale / original;
      min *= widen;
      max *= widen;
    }
  }
  const double fromMin = qmin - min / scale, fromMax = qmax - max / scale;
  const double errorMin = std::abs(qmin) - std::abs(min / scale), errorMax = std::abs(qmax) - std::abs(max / scale);
  const double zero = errorMin < errorMax ? fromMin : fromMax;
  ActivationQuantization q;
  q.scale = float(scale);
  // An input with ±∞ or NaN has no finite range: its zero point is 0 (its outputs are not finite either way).
  q.zeroPoint = !std::isfinite(zero) || zero < qmin ? qmin : zero > qmax ? qmax : int(std::nearbyint(zero));
  return q;
}

std::uint8_t quantizeActivation(float value, const ActivationQuantization& q) {
  // One fused multiply-add, then the rounding, as FBGEMM's vector code quantizes (the legacy order: the zero point
  // added before rounding).
  const float v = std::nearbyint(std::fma(value, 1.0f / q.scale, float(q.zeroPoint)));
  if (std::isnan(v)) return std::uint8_t(q.zeroPoint);
  return std::uint8_t(std::clamp(v, 0.0f, 255.0f));
}

Int8Linear Int8Linear::quantize(const float* weight, Index out, Index in) {
  Int8Linear l;
  l.in_ = in;
  l.out_ = out;
  l.groups_ = (in + 3) / 4;
  l.scale_ = int8WeightScale({weight, std::size_t(out * in)});
  const Index panels = (out + kPanel - 1) / kPanel;
  l.panels_.assign(std::size_t(panels * l.groups_ * kPanel * 4), 0);
  l.sums_.assign(std::size_t(out), 0);
  for (Index o = 0; o < out; ++o) {
    std::int8_t* p = l.panels_.data() + (o / kPanel) * l.groups_ * kPanel * 4 + (o % kPanel) * 4;
    for (Index i = 0; i < in; ++i) {
      const std::int8_t q = quantizeInt8(weight[o * in + i], l.scale_);
      p[(i / 4) * kPanel * 4 + i % 4] = q;
      l.sums_[std::size_t(o)] += q;
    }
  }
  return l;
}

std::int8_t Int8Linear::at(Index o, Index i) const {
  return panels_[std::size_t((o / kPanel) * groups_ * kPanel * 4 + ((i / 4) * kPanel + o % kPanel) * 4 + i % 4)];
}

std::vector<float> Int8Linear::dequantized() const {
  std::vector<float> w(std::size_t(out_ * in_));
  for (Index o = 0; o < out_; ++o)
    for (Index i = 0; i < in_; ++i) w[std::size_t(o * in_ + i)] = scale_ * float(at(o, i));
  return w;
}

void Int8Linear::integerProduct(Index n, const std::uint8_t* xq, Index ldx, std::int32_t* acc) const {
  if (ldx < paddedIn())
    throw Error("integerProduct: rows of " + std::to_string(ldx) + " bytes, need " + std::to_string(paddedIn()));
  everyPanel(
      n, in_, out_, groups_, panels_.data(), xq, ldx,
      [&](Index r, Index o, const std::int32_t* sums, Index count) { std::copy_n(sums, count, acc + r * out_ + o); });
}

Matrix Int8Linear::operator()(const Matrix& x, const float* bias) const {
  if (x.cols() != in_)
    throw Error("an int8 linear layer of " + std::to_string(in_) + " inputs was given rows of " +
                std::to_string(x.cols()));
  const Index n = x.rows(), ld = paddedIn();
  float lo = 0, hi = 0;  // the range always holds 0
  for (Index k = 0; k < x.size(); ++k) {
    const float v = x.data()[k];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  const ActivationQuantization q = chooseActivationQuantization(lo, hi);
  std::vector<std::uint8_t> xq(std::size_t(n * ld), 0);
  const double work = double(n) * double(in_) * double(out_);
#pragma omp parallel for schedule(static) if (work > 4e6)
  for (Index r = 0; r < n; ++r)
    for (Index i = 0; i < in_; ++i) xq[std::size_t(r * ld + i)] = quantizeActivation(x(r, i), q);
  // The sums go straight from the kernel's registers to float outputs (no int32 buffer: fresh pages cost a fault
  // each, which in a VM costs more than converting them).
  Matrix y(n, out_);
  const float multiplier = q.scale * scale_;
  everyPanel(n, in_, out_, groups_, panels_.data(), xq.data(), ld,
             [&](Index r, Index o, const std::int32_t* sums, Index count) {
               float* yr = y.data() + r * out_ + o;
               const std::int32_t* wsum = sums_.data() + o;
               for (Index c = 0; c < count; ++c)
                 yr[c] = float(sums[c] - q.zeroPoint * wsum[c]) * multiplier + (bias ? bias[o + c] : 0.0f);
             });
  return y;
}

}  // namespace attnscope
