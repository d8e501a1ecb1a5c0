#pragma once
// The two passes of a softmax row inside the fused kernels, on this build's widest vectors (Eigen's packets:
// 16 floats with AVX-512, 8 with AVX2, 4 with SSE2):
//   rowMax(s, len)                  the largest score;
//   exp2ShiftedSum(s, len, shift)   s[i] ← 2^(s[i] − shift) in place, returning Σ s[i] from the same pass;
//   exp2ShiftedAccumulate(…, lanes) the same, adding Σ s[i] into a row's running sum kept lane by lane;
//   exp2BoundedSum/Accumulate       the same for an integral shift known beforehand to bound the row: one pass;
//   exp2OffsetSum(s, o, len, shift) the same with an offset of its own per entry (Performer's keys, approx/favor).
// The kernels work in base 2, as FlashAttention does: the queries are scaled by log2(e)/√d, so a score is already
// x·log2(e) and exp(x − m) is 2^(s − m'). Base 2 saves the range reduction by ln 2 (two multiply-adds) that a base-e
// exponential needs; what is left is a rounding (one add and one subtract of 1.5·2^23), a degree-5 polynomial for
// 2^r on |r| ≤ ½ (relative error 1.6e-7, a least-squares fit on Chebyshev nodes made for this file) and 2^m put
// straight into the exponent bits. The argument is s − shift ≤ 0 (shift is at least the row's maximum), clamped
// below at −125 so the result is always a normal float; smaller arguments give 2^−125 ≈ 2.4e-38 instead of a
// denormal, which no sum that contains 1 can see. Callers zero masked cells themselves: 2^−∞ is never asked for.

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

// p(r) · 2^m, for r ∈ [−½, ½] and t = 1.5·2^23 + m (m held in t's low mantissa bits, two's complement), with
// m ≥ −125. The polynomial p(r) ≈ 2^r in Horner's form (five multiply-adds), then m added straight into the exponent
// bits of its value (one shift, one integer add: no multiply, no bias). p(r) lies in [2^−½, 2^½], its biased
// exponent 126 or 127, so with m ≥ −125 the result stays a normal float.
inline Packet exp2FromParts(Packet r, Packet t) {
  Packet p = pmadd(pset1<Packet>(0.00132775481f), r, pset1<Packet>(0.00967555121f));
  p = pmadd(p, r, pset1<Packet>(0.0555071011f));
  p = pmadd(p, r, pset1<Packet>(0.240221187f));
  p = pmadd(p, r, pset1<Packet>(0.693146944f));
  p = pmadd(p, r, pset1<Packet>(1.00000012f));
  return Eigen::internal::preinterpret<Packet>(
      padd(Eigen::internal::preinterpret<IntPacket>(p),
           Eigen::internal::plogical_shift_left<23>(Eigen::internal::preinterpret<IntPacket>(t))));
}

constexpr float kMagic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer, kept in the low mantissa bits

// 2^x for x ≤ 0, clamped below at −125: m = round(x), r = x − m. Eleven vector operations (thirteen with an
// Estrin polynomial and 2^m multiplied in), nearly all on the ports the tile products' multiply-adds use, so each
// one counts.
inline Packet exp2NonPositive(Packet x) {
  const Packet magic = pset1<Packet>(kMagic);
  x = pmax(x, pset1<Packet>(-125.0f));
  const Packet t = padd(x, magic);
  return exp2FromParts(psub(x, psub(t, magic)), t);
}

// 2^(s − shift) for an integral shift, given c = 1.5·2^23 − shift (exact for |shift| < 2^22), when s − shift is
// known to lie in [−125, 1]: no clamp, and the shift folded into the rounding, ten operations. t = s + c rounds to
// c + round(s), so it holds m = round(s) − shift, and r = s − (t − c) = s − round(s) exactly.
inline Packet exp2IntegralShift(Packet s, Packet c) {
  const Packet t = padd(s, c);
  return exp2FromParts(psub(s, psub(t, c)), t);
}

// s[i] ← exp(s[i]) for i < len (exp a function of a packet); returns the new s[i] summed lane by lane (lane j holds
// the entries at j mod W). A tail shorter than a vector goes through a buffer whose unused lanes hold `fill`.
template <typename Exp>
inline Packet expLanes(float* s, Index len, float fill, Exp exp) {
  constexpr Index W = kWidth;
  Packet a0 = pset1<Packet>(0.0f), a1 = a0;
  Index i = 0;
  for (; i + 2 * W <= len; i += 2 * W) {
    const Packet e0 = exp(ploadu<Packet>(s + i));
    const Packet e1 = exp(ploadu<Packet>(s + i + W));
    pstoreu(s + i, e0);
    pstoreu(s + i + W, e1);
    a0 = padd(a0, e0);
    a1 = padd(a1, e1);
  }
  for (; i + W <= len; i += W) {
    const Packet e = exp(ploadu<Packet>(s + i));
    pstoreu(s + i, e);
    a0 = padd(a0, e);
  }
  if (i < len) {  // a tail shorter than one vector: one more vector through a buffer (a window row is 2r + 1 long)
    alignas(64) float tail[W];
    std::fill(tail, tail + W, fill);
    std::copy(s + i, s + len, tail);
    pstoreu(tail, exp(ploadu<Packet>(tail)));
    std::fill(tail + (len - i), tail + W, 0.0f);
    std::copy(tail, tail + (len - i), s + i);
    a1 = padd(a1, ploadu<Packet>(tail));
  }
  return padd(a0, a1);
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

namespace softmax_detail {

// s[i] ← 2^(s[i] − shift) for i < len; returns the new s[i] summed lane by lane.
inline Packet exp2ShiftedLanes(float* s, Index len, float shift) {
  const Packet sh = pset1<Packet>(shift);
  return expLanes(s, len, shift, [sh](Packet v) { return exp2NonPositive(psub(v, sh)); });
}

}  // namespace softmax_detail

/// How many partial sums a row's running sum keeps (exp2ShiftedAccumulate): one per lane of this build's vectors.
constexpr Index kSumLanes = softmax_detail::kWidth;

/// s[i] ← 2^(s[i] − shift) for i < len, with shift ≥ every s[i]; returns the sum of the new s[i].
inline float exp2ShiftedSum(float* s, Index len, float shift) {
  return Eigen::internal::predux(softmax_detail::exp2ShiftedLanes(s, len, shift));
}

/// The same, adding the new s[i] into kSumLanes partial sums lanes[0 … kSumLanes) rather than summing them: the
/// fused kernels keep a row's running sum this way from tile to tile and add its lanes once, at the end, instead of
/// paying a horizontal sum (a chain of shuffles and adds) on every row of every tile.
inline void exp2ShiftedAccumulate(float* s, Index len, float shift, float* lanes) {
  using namespace softmax_detail;
  pstoreu(lanes, padd(ploadu<Packet>(lanes), exp2ShiftedLanes(s, len, shift)));
}

/// As exp2ShiftedAccumulate, for an integral shift (|shift| < 2^22) that the caller knows keeps every
/// s[i] − shift within [−125, 1] (the fused kernels know it from the norms of a row's query and of the keys): three
/// operations fewer a vector, no clamp and the shift folded into the rounding.
inline void exp2BoundedAccumulate(float* s, Index len, float shift, float* lanes) {
  using namespace softmax_detail;
  const Packet c = pset1<Packet>(kMagic - shift);
  const Packet sum = expLanes(s, len, shift, [c](Packet v) { return exp2IntegralShift(v, c); });
  pstoreu(lanes, padd(ploadu<Packet>(lanes), sum));
}

/// The same, returning the sum of the new s[i] (the masked kernel's rows, one tile each).
inline float exp2BoundedSum(float* s, Index len, float shift) {
  using namespace softmax_detail;
  const Packet c = pset1<Packet>(kMagic - shift);
  return Eigen::internal::predux(expLanes(s, len, shift, [c](Packet v) { return exp2IntegralShift(v, c); }));
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
