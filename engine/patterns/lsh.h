#pragma once
// Reformer's LSH bucketing, exposed for tests and for showing buckets.

#include <cstdint>
#include <vector>

#include "engine/util/types.h"

namespace attnscope::lsh {

/// A random rotation R (dim × buckets/2), Gaussian, from (seed, head, round).
Matrix rotation(Index dim, Index buckets, std::uint64_t seed, int head, int round);

/// Bucket of each row of x: argmax over the concatenation [xR, −xR] (ties: the first), as in Reformer.
std::vector<int> buckets(const Matrix& x, const Matrix& R);

}  // namespace attnscope::lsh
