#pragma once
// A model as an ordered list of attention layers, each a pattern (any family or union, with its parameters), at
// one sequence length; with the model's sizes when they are known (for what each layer costs). Stacks come from a
// Hugging Face config.json (hf_config.h), from a short form a person types ("window radius=2 ×5, full"), or from a
// stack file (JSON, saved next to presets).

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/io/json.h"
#include "engine/patterns/pattern_registry.h"

namespace attnscope {

using ParamTexts = std::vector<std::pair<std::string, std::string>>;

struct StackLayer {
  std::string pattern;  ///< a pattern name as PatternSpec::parse takes it
  ParamTexts params;    ///< only those set; the rest take their defaults
  std::string kind;     ///< what the model calls it: "sliding", "full", "local", "global", "block_sparse", or ""
  bool operator==(const StackLayer&) const = default;
  /// "window (radius=2)" or "full".
  std::string describe() const;
};

/// The sizes that decide what a layer costs besides its attention cells.
struct ModelDims {
  Index hiddenSize = 768;
  Index intermediateSize = 3072;
  Index heads = 12;
  Index keyValueHeads = 12;
  Index headDim = 64;
  bool gatedFeedForward = false;  ///< three matrices (gate, up, down) instead of two
  bool operator==(const ModelDims&) const = default;
};

struct LayerStack {
  std::string name;  ///< "mistral (config.json)", or what the user called it
  Index n = 0;       ///< the length every layer is built at (a config's padding already applied)
  std::vector<StackLayer> layers;
  ModelDims dims;
  bool dimsFromConfig = false;          ///< false: the BERT-base sizes above stand in (a hand-built stack)
  std::vector<std::string> derivation;  ///< one line each: what was derived, and from which field
  std::vector<std::string> notes;       ///< padding, fallbacks: things the user should know
};

/// The largest stack anyone may build: more layers than any released model has.
inline constexpr int kMaxStackLayers = 1024;

/// Parses the short form: comma-separated layers, each a pattern name, KEY=VALUE parameters and an optional
/// repeat ("×5", "x5" or "*5"): "window radius=2 ×5, full". Throws Error naming the layer and what is wrong.
std::vector<StackLayer> parseShortForm(std::string_view text);
/// The short form of a list of layers, equal neighbours folded into ×k.
std::string shortForm(const std::vector<StackLayer>& layers);

/// Checks every layer's pattern and parameters (as the command line would) and n; throws Error("layer 3: …").
void checkStack(const LayerStack& stack);

/// A stack file: {"name", "n", "layers": [{"pattern", "params": {k: v}, "repeat", "kind"}], "model": {sizes}}.
/// Strict: unknown keys and wrong types are refused with the key named.
LayerStack stackFromJson(const JsonValue& json);
std::string stackToJson(const LayerStack& stack);
/// Reads and checks a stack file (at most kMaxPresetBytes); throws Error naming the file.
LayerStack readStackFile(const std::string& path);
/// Writes a stack file all or nothing.
void writeStackFile(const LayerStack& stack, const std::string& path);

/// One layer made: its resolved pattern at the stack's n. Layers that are equal share one instance.
struct MadeLayer {
  std::shared_ptr<const Pattern> pattern;
  int distinct = 0;  ///< index of the first layer equal to this one
};
/// Makes every layer's pattern (equal layers once), checking what making them allocates first. Data-dependent
/// families (lsh) get seeded synthetic inputs. Throws Error("layer 3: …").
std::vector<MadeLayer> makeLayers(const LayerStack& stack, const Progress& progress = {});

}  // namespace attnscope
