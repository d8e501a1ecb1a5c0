#pragma once
// What attention is computed on: per head, queries Q and keys K (n × dim) and values V (n × dim_v).
//
// Three sources: Gaussian vectors from a seed; a sentence, whose tokens get synthetic embeddings (a seeded vector
// per token type plus sinusoidal positions, projected by seeded matrices) — synthetic, not a trained model's —
// and .npy files holding vectors from a real model.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/util/progress.h"
#include "engine/util/types.h"

namespace attnscope {

struct AttentionInputs {
  std::vector<Matrix> q, k, v;      ///< one n × dim matrix per head (v may have another width)
  std::vector<std::string> tokens;  ///< labels for the axes (from text), else empty

  int heads() const { return static_cast<int>(q.size()); }
  Index n() const { return q.empty() ? 0 : q[0].rows(); }
  Index dim() const { return q.empty() ? 0 : q[0].cols(); }
  Index valueDim() const { return v.empty() ? 0 : v[0].cols(); }
};

/// Splits text into tokens: special tokens such as [CLS], [SEP] or </s> whole; runs of letters, digits and
/// apostrophes; each other visible character on its own.
std::vector<std::string> tokenize(const std::string& text);

/// Q, K, V with independent standard normal entries; the same for any thread count. Throws Cancelled when asked.
AttentionInputs syntheticInputs(int heads, Index n, Index dim, std::uint64_t seed, const Progress& progress = {});

/// The sentence's tokens embedded synthetically: a seeded vector per (lower-cased) token type plus sinusoidal
/// positions, projected per head by seeded W_q, W_k = W_q + a little noise, and W_v, so that repeated words and
/// nearby positions attend each other. Throws Error if the text has no tokens.
AttentionInputs textInputs(const std::string& text, int heads, Index dim, std::uint64_t seed);

/// The size of a set of inputs, known before any of it is made or read.
struct InputShape {
  int heads = 0;
  Index n = 0, dim = 0, valueDim = 0;
};

/// The shape .npy inputs have, from their headers alone: each is [n, dim] or [heads, n, dim], k matches q and v has
/// q's heads and n, and the memory all three take is within the limit. Nothing of the data is read. Throws Error.
InputShape npyInputsShape(const std::string& qPath, const std::string& kPath, const std::string& vPath);

/// Q, K, V from .npy files, [n, dim] or [heads, n, dim], float32 or float64. Throws Error naming the file and what
/// does not match (shapes, heads, n, NaN or infinite values). `checkShape`, when given, sees the headers' shape
/// before any data is read, to refuse what the caller cannot use (an n past its limit).
AttentionInputs npyInputs(const std::string& qPath, const std::string& kPath, const std::string& vPath,
                          const std::function<void(const InputShape&)>& checkShape = nullptr);

/// Checks the shape of a request for inputs before anything is allocated: heads 1 … kMaxHeads, n 1 …
/// kMaxSequenceLength, dims 1 … kMaxHeadDim, and the memory Q, K and V take against the limit. Throws Error.
void checkInputSize(Index heads, Index n, Index dim, Index valueDim);

/// Throws Error if any value is NaN or infinite, naming `what` and the first position.
void checkFinite(const AttentionInputs& inputs);

}  // namespace attnscope
