#pragma once
// A pattern written out as a self-contained Python file for PyTorch's FlexAttention: a function
// mask_mod(b, h, q_idx, kv_idx) that is True exactly where AttnScope's mask has a cell.
//
// Families whose rule is arithmetic on the indices are written as that arithmetic (full, causal, window with its
// dilation, global tokens, blocks, strided, fixed, Longformer, and DeepSpeed's fixed, block-sparse Longformer and
// local windows). Random and data-dependent families (random, BigBird's and DeepSpeed's random blocks, lsh, topk,
// routing) are written as a lookup into a bit table of the layout AttnScope built, included in the file as base64,
// and say so. The expressions use only operators that work alike on Python integers and on the tensors
// FlexAttention passes (comparisons in parentheses joined by & and |, //, %, abs), so the file runs without a GPU
// or even without torch: a table is a torch uint8 tensor when torch imports, else bytes.

#include <string>

#include "engine/inputs/attention_inputs.h"
#include "engine/models/layer_stack.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/util/progress.h"

namespace attnscope::codegen {

/// The most bits the lookup tables of one file may hold (8 MiB of table, about 11 MB of text).
inline constexpr double kMaxLookupBits = double(Index(1) << 26);

/// The bits the file's lookup tables would take (0 when everything is arithmetic), `inputHeads` being the heads of
/// the inputs a data-dependent family reads. Throws Error naming n and the limit when they pass kMaxLookupBits:
/// called before anything is made.
double checkFlexLookup(const CheckedPattern& pattern, int inputHeads = 1);

/// The Python file for one pattern. `inputs` are the attention inputs of a data-dependent family (their n is the
/// pattern's; seeded synthetic ones when null), as for the mask it must equal. Throws Error, Cancelled.
std::string flexAttentionCode(const CheckedPattern& pattern, const AttentionInputs* inputs = nullptr,
                              const Progress& progress = {});

/// The Python file for a stack: mask_mod_layer_<ℓ> for every layer (equal layers share one function) and MASK_MODS,
/// the list of them by layer. Throws Error("layer 3: …"), Cancelled.
std::string flexAttentionStackCode(const LayerStack& stack, const Progress& progress = {});

/// The same file for parts that are not a model's layers (a fitted model's distinct fits): functions
/// `<unit>_<k>`, header lines "<unit> k: …", and no HEADS, MASK_MODS or usage: the caller writes how they combine.
std::string flexAttentionParts(const LayerStack& parts, const std::string& unit, const Progress& progress = {});

}  // namespace attnscope::codegen
