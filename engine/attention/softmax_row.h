#pragma once
// The two passes of a softmax row inside the fused kernels, on this build's widest vectors (Eigen's packets:
// 16 floats with AVX-512, 8 with AVX2, 4 with SSE2):
//   rowMax(s, len)                  the largest score;
//   exp2ShiftedSum(s, len, shift)   s[i] ← 2^(s[i] − shift) in place, returning Σ s[i] from the same pass;
//   exp2OffsetSum(s, o, len, shift) the same with an offset of its own per entry (Performer's keys, approx/favor).
// The kernels work in base 2, as FlashAttention does: the queries are scaled by log2(e)/√d, so a score is already
// x·log2(e) and exp(x − m) is 2^(s − m'). Base 2 saves the range reduction by ln 2 (two multiply-adds) that a base-e
// exponential needs; what is left is a rounding (one add and one subtract of 1.5·2^23), a degree-5 polynomial for
// 2^r on |r| ≤ ½ (relative error 1.6e-7, a least-squares fit on Chebyshev nodes made for this file) and 2^m put
// straight into the exponent bits. The argument is s − shift ≤ 0 (shift is at least the row's maximum), clamped
// below at −126 so 2^m is always a normal float; smaller arguments give 2^−126 ≈ 1.2e-38 instead of a denormal,
// which no sum that contains 1 can see. Callers zero masked cells themselves: 2^−∞ is never asked for.

#include <algorithm>
#include <cmath>

#include <Eigen/Core>

#include "engine/util/types.h"

namespace attnscope {

namespace softmax_detail {

using Eigen::internal::padd;
using Eigen::internal::ploadu;
using Eigen::internal::pmadd;
using Eigen::internal::pmax;
using Eigen::internal::pmul;
using Eigen::internal::pset1;
using Eigen::internal::pstoreu;
using Eigen::internal::psub;

using Packet = Eigen::internal::packet_traits<float>::type;
// Eigen's traits take the vector types as template arguments, whose alignment attributes GCC says it ignores there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
using IntPacket = typename Eigen::internal::unpacket_traits<Packet>::integer_packet;
constexpr Index kWidth = Eigen::internal::unpacket_traits<Packet>::size;
#pragma GCC diagnostic pop
static_assert(kWidth > 1, "the softmax rows need Eigen's vector packets (SSE2 at least)");

// 2^x for x ≤ 0 (clamped below at −126): 2^m · 2^r with m = round(x), r = x − m ∈ [−½, ½].
inline Packet exp2NonPositive(Packet x) {
  const Packet magic = pset1<Packet>(12582912.0f);  // 1.5·2^23: adding it rounds to an integer, kept in the low bits
  x = pmax(x, pset1<Packet>(-126.0f));
  const Packet t = padd(x, magic);
  const Packet r = psub(x, psub(t, magic));
  const Packet r2 = pmul(r, r);
  const Packet a = pmadd(pset1<Packet>(0.693146944f), r, pset1<Packet>(1.00000012f));
  const Packet b = pmadd(pset1<Packet>(0.0555071011f), r, pset1<Packet>(0.240221187f));
  const Packet c = pmadd(pset1<Packet>(0.00132775481f), r, pset1<Packet>(0.00967555121f));
  const Packet poly = pmadd(pmadd(c, r2, b), r2, a);
  // t's low mantissa bits hold m (two's complement); shifted into the exponent field and biased by 127, they are
  // the bits of 2^m.
  const IntPacket bits = padd(Eigen::internal::plogical_shift_left<23>(Eigen::internal::preinterpret<IntPacket>(t)),
                              pset1<IntPacket>(127 << 23));
  return pmul(poly, Eigen::internal::preinterpret<Packet>(bits));
}

}  // namespace softmax_detail

/// The largest of s[0 … len).
inline float rowMax(const float* s, Index len) {
  using namespace softmax_detail;
  constexpr Index W = kWidth;
  Packet m0 = pset1<Packet>(-INFINITY), m1 = m0;
  Index i = 0;
  for (; i + 2 * W <= len; i += 2 * W) {
    m0 = pmax(m0, ploadu<Packet>(s + i));
    m1 = pmax(m1, ploadu<Packet>(s + i + W));
  }
  for (; i + W <= len; i += W) m0 = pmax(m0, ploadu<Packet>(s + i));
  float m = Eigen::internal::predux_max(pmax(m0, m1));
  for (; i < len; ++i) m = std::max(m, s[i]);
  return m;
}

/// s[i] ← 2^(s[i] − shift) for i < len, with shift ≥ every s[i]; returns the sum of the new s[i].
inline float exp2ShiftedSum(float* s, Index len, float shift) {
  using namespace softmax_detail;
  constexpr Index W = kWidth;
  const Packet sh = pset1<Packet>(shift);
  Packet a0 = pset1<Packet>(0.0f), a1 = a0;
  Index i = 0;
  for (; i + 2 * W <= len; i += 2 * W) {
    const Packet e0 = exp2NonPositive(psub(ploadu<Packet>(s + i), sh));
    const Packet e1 = exp2NonPositive(psub(ploadu<Packet>(s + i + W), sh));
    pstoreu(s + i, e0);
    pstoreu(s + i + W, e1);
    a0 = padd(a0, e0);
    a1 = padd(a1, e1);
  }
  for (; i + W <= len; i += W) {
    const Packet e = exp2NonPositive(psub(ploadu<Packet>(s + i), sh));
    pstoreu(s + i, e);
    a0 = padd(a0, e);
  }
  float sum = Eigen::internal::predux(padd(a0, a1));
  if (i < len) {  // a tail shorter than one vector: one more vector through a buffer (a window row is 2r + 1 long)
    alignas(64) float tail[W];
    std::fill(tail, tail + W, shift);
    std::copy(s + i, s + len, tail);
    pstoreu(tail, exp2NonPositive(psub(ploadu<Packet>(tail), sh)));
    for (Index t = 0; i + t < len; ++t) sum += (s[i + t] = tail[t]);
  }
  return sum;
}

/// s[i] ← 2^(s[i] − offset[i] − shift) for i < len, with every exponent ≤ 0; returns the sum of the new s[i]. The
/// shift of a column of keys that each have their own offset (Performer's ‖x‖²/2 per key, shared maximum).
inline float exp2OffsetSum(float* s, const float* offset, Index len, float shift) {
  using namespace softmax_detail;
  constexpr Index W = kWidth;
  const Packet sh = pset1<Packet>(shift);
  Packet a0 = pset1<Packet>(0.0f), a1 = a0;
  Index i = 0;
  for (; i + 2 * W <= len; i += 2 * W) {
    const Packet e0 = exp2NonPositive(psub(psub(ploadu<Packet>(s + i), ploadu<Packet>(offset + i)), sh));
    const Packet e1 = exp2NonPositive(psub(psub(ploadu<Packet>(s + i + W), ploadu<Packet>(offset + i + W)), sh));
    pstoreu(s + i, e0);
    pstoreu(s + i + W, e1);
    a0 = padd(a0, e0);
    a1 = padd(a1, e1);
  }
  for (; i + W <= len; i += W) {
    const Packet e = exp2NonPositive(psub(psub(ploadu<Packet>(s + i), ploadu<Packet>(offset + i)), sh));
    pstoreu(s + i, e);
    a0 = padd(a0, e);
  }
  float sum = Eigen::internal::predux(padd(a0, a1));
  if (i < len) {  // a tail shorter than one vector, through a buffer of exponents (the unused lanes 2^0)
    alignas(64) float tail[W];
    std::fill(tail, tail + W, 0.0f);
    for (Index t = 0; i + t < len; ++t) tail[t] = s[i + t] - offset[i + t] - shift;
    pstoreu(tail, exp2NonPositive(ploadu<Packet>(tail)));
    for (Index t = 0; i + t < len; ++t) sum += (s[i + t] = tail[t]);
  }
  return sum;
}

}  // namespace attnscope
