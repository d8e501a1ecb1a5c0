#pragma once
// The engine's scalar and Eigen types, in one place.

#include <Eigen/Core>
#include <cstdint>

namespace attnscope {

/// Token positions, cell counts and offsets: 64-bit, since n² overflows 32 bits early.
using Index = std::int64_t;
/// Key (column) indices stored in a mask row: 32-bit halves the memory of a mask.
using KeyIndex = std::int32_t;

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

/// The largest value an index-like parameter (a radius, a seed, a token) may take: keys are 32-bit. The longest
/// sequence a request may ask for is kMaxSequenceLength in limits.h.
inline constexpr Index kMaxTokens = 2147483647;

}  // namespace attnscope
