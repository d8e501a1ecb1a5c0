#pragma once
// The five DeepSpeed families written as the SparsityConfig that gives their layout
// (deepspeed.ops.sparse_attention): the class and its constructor arguments, as Python and as JSON, and the JSON
// read back into a family and its parameters.
//
// AttnScope's DeepSpeed layouts follow sparsity_config.py rule for rule, so the constructor arguments are the
// export. The one thing the arguments cannot carry is a random draw: DeepSpeed draws num_random_blocks with
// Python's random.sample when make_layout runs, so its random blocks differ from AttnScope's. The Python file then
// also carries the exact layout, in a subclass whose make_layout returns it; the JSON says so and keeps the seed.

#include <string>
#include <utility>

#include "engine/io/json.h"
#include "engine/models/layer_stack.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/util/progress.h"

namespace attnscope::codegen {

/// Whether the pattern is one DeepSpeed family ("deepspeed-fixed", …).
bool isDeepSpeedPattern(const PatternSpec& spec);
/// "FixedSparsityConfig", … for a DeepSpeed family name; "" for any other.
std::string deepSpeedClass(const std::string& family);

/// Throws Error naming the pattern and the five families when it is not one of them.
void checkDeepSpeedPattern(const PatternSpec& spec);

/// A Python file: the import, the constructor call, make_layout's usage, and, when the layout has random blocks,
/// the subclass returning AttnScope's layout. Throws Error (checkDeepSpeedPattern), Cancelled.
std::string deepspeedPython(const CheckedPattern& pattern, const Progress& progress = {});
/// {"module", "class", "args": {…}, "seq_len", "attnscope": {"pattern", "seed", "random_blocks"}}.
std::string deepspeedJson(const CheckedPattern& pattern);

/// A DeepSpeed export read back: the family and the parameter texts that rebuild its layout (the seed from the
/// "attnscope" part when present). Strict: an unknown class or argument, or a value of the wrong kind, throws Error
/// naming it. `seqLen` receives "seq_len" when the file has it.
std::pair<std::string, ParamTexts> deepspeedFromJson(const JsonValue& json, Index* seqLen = nullptr);

}  // namespace attnscope::codegen
