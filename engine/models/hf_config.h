#pragma once
// A Hugging Face config.json read as the library reads it: the fields these models really use, with each model
// type's defaults for the fields a released file leaves out, turned into a LayerStack at a sequence length.
//
// What decides each layer, first match wins: `layer_types`; Gemma 2 (even layers slide); Gemma 3
// (`sliding_window_pattern`); `use_sliding_window` with `max_window_layers` (Qwen2); GPT-Neo `attention_types`;
// Longformer `attention_window`; BigBird `attention_type`; `sliding_window` in every layer (Mistral); else full
// attention, causal unless the model type is an encoder. Multimodal configs are read from `text_config`.

#include <string>
#include <vector>

#include "engine/io/json.h"
#include "engine/models/layer_stack.h"

namespace attnscope {

struct ConfigRequest {
  Index n = 4096;
  /// Longformer's global tokens (global_attention_mask = 1); ignored, with a note, by other models.
  std::vector<Index> globals;
  /// BigBird: random blocks as in training (the layer index seeds them), or none as at evaluation.
  bool bigBirdEval = false;
};

/// Throws Error with one line naming the field that is wrong and what is allowed. `source` names the file.
LayerStack stackFromHfConfig(const JsonValue& config, const ConfigRequest& request, const std::string& source);
/// Reads a config.json: a regular file of at most kMaxPresetBytes, parsed as JSON. Throws Error.
JsonValue readHfConfigJson(const std::string& path);
/// Reads the file (readHfConfigJson) and converts it.
LayerStack readHfConfigFile(const std::string& path, const ConfigRequest& request);

}  // namespace attnscope
