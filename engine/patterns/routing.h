#pragma once
// Routing Transformer's clustering (Roy et al. 2021), exposed for tests and for showing the clusters.

#include <cstdint>
#include <vector>

#include "engine/util/progress.h"
#include "engine/util/types.h"

namespace attnscope::routing {

struct Clustering {
  Matrix means;                                ///< clusters × dim, each row of unit length (or zero)
  std::vector<std::vector<KeyIndex>> queries;  ///< per cluster, its `window` queries nearest the mean, sorted
  std::vector<std::vector<KeyIndex>> keys;     ///< per cluster, its `window` keys nearest the mean, sorted
};

/// Spherical k-means over the L2-normalised rows of q and k (only q when sharedQk, as the library's self-attention
/// shares one projection): `clusters` means seeded from distinct points, `iterations` rounds of assign-to-the-
/// nearest-mean (largest dot product, ties to the first) and renormalised sums (an empty cluster keeps its mean);
/// then each cluster takes the `window` queries and the `window` keys with the largest dot product with its mean
/// (ties to the smaller index). With sharedQk the key lists are the query lists. Reports through `progress` and
/// throws Cancelled when its token is cancelled.
Clustering cluster(const Matrix& q, const Matrix& k, Index clusters, Index window, int iterations, std::uint64_t seed,
                   bool sharedQk, int head, const Progress& progress = {});

}  // namespace attnscope::routing
